import { HostJobAnswerSchema, JobReportAnswerSchema, MigrationJobReportSchema } from '../migration-link/migration-job.js';
import { defineRoute, type ApiRoute } from '../organizations/api-route.js';
import type { MigrationJobRelay } from './migration-job-relay.js';

/**
 * livelink's own routes between a migration host and its source (docs/live-migrations.md, "The relay"),
 * like an Ops Manager agent's calls to Ops Manager, which are not public either. Only the host's own key
 * (role ORG_MIGRATION_HOST, made by `livelink migration-host add`) may call them, and only for its own
 * project and host name.
 */
const HOST_BASE = '/api/public/v1.0/groups/:groupId/migrationHosts/:hostname';

export function migrationJobRoutes(relay: MigrationJobRelay): ApiRoute[] {
  return [
    defineRoute({
      name: 'getHostMigrationJob',
      summary: "Return the migration host's current job, asked of the target there and then (livelink's own endpoint)",
      method: 'GET',
      paths: [`${HOST_BASE}/job`],
      access: { kind: 'project', role: 'ORG_MIGRATION_HOST' },
      response: HostJobAnswerSchema,
      errors: [502, 503, 504],
      async handle({ apiKey, project, params }) {
        return { status: 200, body: await relay.job(apiKey, project, params['hostname'] ?? '') };
      },
    }),
    defineRoute({
      name: 'reportHostMigrationJob',
      summary: "Report a job's progress or outcome to the target and return its answer (livelink's own endpoint)",
      method: 'PUT',
      paths: [`${HOST_BASE}/jobs/:jobId`],
      access: { kind: 'project', role: 'ORG_MIGRATION_HOST' },
      body: MigrationJobReportSchema,
      response: JobReportAnswerSchema,
      errors: [502, 503, 504],
      async handle({ apiKey, project, params, body }) {
        const answer = await relay.report(apiKey, project, params['hostname'] ?? '', params['jobId'] ?? '', body);
        return { status: 200, body: answer };
      },
    }),
  ];
}
