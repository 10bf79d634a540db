import { apiErrors } from '../../http/api-error.js';
import { isObjectId } from '../../shared/ids.js';
import { defineRoute, type ApiRoute } from '../organizations/api-route.js';
import type { LiveMigrationService } from './live-migration-service.js';
import {
  CutoverV1ResponseSchema,
  JobAnswerSchema,
  JobInstructionsSchema,
  JobReportSchema,
  LiveMigrationResponseSchema,
  migrationView,
  requestOf,
  RequestV1Schema,
  ValidationResponseSchema,
  validationView,
  VersionedRequestSchemas,
  type JobAnswer,
} from './live-migration-schemas.js';

const V2 = '/api/atlas/v2/groups/:groupId/liveMigrations';
const V1 = '/api/atlas/v1.0/groups/:groupId/liveMigrations';

/** Create and validate take both body versions Atlas's specification lists; the other operations have one. */
const BODY_VERSIONS = ['2023-01-01', '2024-05-30'] as const;

/**
 * The relay's target end (livelink's own, like the inventory endpoint): the source calls these with its
 * link-token's key on behalf of a migration host of its project.
 */
const RELAY_BASE = '/api/atlas/v1.0/orgs/:orgId/liveMigrations/sourceOrganizations/:sourceOrgId';

/**
 * Push live migrations, Atlas's Cloud Migration Service (the record's A–E): validate, read a validation,
 * create, read a migration, cut over, on /api/atlas/v2 (versioned media types, the v2 statuses) and
 * /api/atlas/v1.0 (application/json, `dropEnabled`, the v1 statuses), and the relay's two routes. Roles
 * are Atlas's: Organization Owner, and Organization Member may read a migration.
 */
export function liveMigrationRoutes(liveMigrations: LiveMigrationService): ApiRoute[] {
  const id = (params: Readonly<Record<string, string>>, name: string): string => params[name] ?? '';

  const v2 = [
    defineRoute({
      name: 'validateGroupLiveMigrations',
      summary: 'Validate one migration request',
      method: 'POST',
      paths: [`${V2}/validate`],
      access: { kind: 'project', role: 'ORG_OWNER' },
      versions: BODY_VERSIONS,
      body: VersionedRequestSchemas,
      response: ValidationResponseSchema,
      status: 200,
      async handle({ organization, project, body }) {
        return { status: 200, body: validationView(await liveMigrations.validate(organization, project, requestOf(body))) };
      },
    }),
    defineRoute({
      name: 'getGroupLiveMigrationValidateStatus',
      summary: 'Return the status of one migration validation job',
      method: 'GET',
      paths: [`${V2}/validate/:validationId`],
      access: { kind: 'project', role: 'ORG_OWNER' },
      response: ValidationResponseSchema,
      async handle({ project, params }) {
        return { status: 200, body: validationView(await liveMigrations.validation(project, id(params, 'validationId'))) };
      },
    }),
    defineRoute({
      name: 'createGroupLiveMigration',
      summary: 'Migrate one local managed cluster to MongoDB Atlas',
      method: 'POST',
      paths: [V2],
      access: { kind: 'project', role: 'ORG_OWNER' },
      versions: BODY_VERSIONS,
      body: VersionedRequestSchemas,
      response: LiveMigrationResponseSchema,
      errors: [409],
      async handle({ organization, project, body }) {
        return { status: 201, body: migrationView(await liveMigrations.create(organization, project, requestOf(body))) };
      },
    }),
    defineRoute({
      name: 'getGroupLiveMigration',
      summary: 'Return one migration job',
      method: 'GET',
      paths: [`${V2}/:liveMigrationId`],
      access: { kind: 'project', role: 'ORG_MEMBER' },
      response: LiveMigrationResponseSchema,
      async handle({ project, params }) {
        return { status: 200, body: migrationView(await liveMigrations.migration(project, id(params, 'liveMigrationId'))) };
      },
    }),
    defineRoute({
      name: 'cutoverGroupLiveMigration',
      summary: 'Cut over the migrated cluster to MongoDB Atlas',
      method: 'PUT',
      paths: [`${V2}/:liveMigrationId/cutover`],
      access: { kind: 'project', role: 'ORG_OWNER' },
      status: 202,
      errors: [409],
      async handle({ project, params }) {
        await liveMigrations.cutover(project, id(params, 'liveMigrationId'));
        return { status: 202 };
      },
    }),
  ];

  const v1 = [
    defineRoute({
      name: 'validateGroupLiveMigrationsAtlasV1',
      summary: 'Validate one migration request (v1.0)',
      method: 'POST',
      paths: [`${V1}/validate`],
      access: { kind: 'project', role: 'ORG_OWNER' },
      body: RequestV1Schema,
      response: ValidationResponseSchema,
      status: 200,
      async handle({ organization, project, body }) {
        return { status: 200, body: validationView(await liveMigrations.validate(organization, project, requestOf(body))) };
      },
    }),
    defineRoute({
      name: 'getGroupLiveMigrationValidateStatusAtlasV1',
      summary: 'Return the status of one migration validation job (v1.0)',
      method: 'GET',
      paths: [`${V1}/validate/:validationId`],
      access: { kind: 'project', role: 'ORG_OWNER' },
      response: ValidationResponseSchema,
      async handle({ project, params }) {
        return { status: 200, body: validationView(await liveMigrations.validation(project, id(params, 'validationId'))) };
      },
    }),
    defineRoute({
      name: 'createGroupLiveMigrationAtlasV1',
      summary: 'Migrate one local managed cluster to MongoDB Atlas (v1.0)',
      method: 'POST',
      paths: [V1],
      access: { kind: 'project', role: 'ORG_OWNER' },
      body: RequestV1Schema,
      response: LiveMigrationResponseSchema,
      errors: [409],
      async handle({ organization, project, body }) {
        return { status: 201, body: migrationView(await liveMigrations.create(organization, project, requestOf(body))) };
      },
    }),
    defineRoute({
      name: 'getGroupLiveMigrationAtlasV1',
      summary: 'Return one migration job (v1.0)',
      method: 'GET',
      paths: [`${V1}/:liveMigrationId`],
      access: { kind: 'project', role: 'ORG_MEMBER' },
      response: LiveMigrationResponseSchema,
      async handle({ project, params }) {
        return { status: 200, body: migrationView(await liveMigrations.migration(project, id(params, 'liveMigrationId'))) };
      },
    }),
    defineRoute({
      name: 'cutoverGroupLiveMigrationAtlasV1',
      summary: 'Cut over the migrated cluster to MongoDB Atlas (v1.0)',
      method: 'PUT',
      paths: [`${V1}/:liveMigrationId/cutover`],
      access: { kind: 'project', role: 'ORG_OWNER' },
      response: CutoverV1ResponseSchema,
      errors: [409],
      async handle({ project, params }) {
        const { migration, completed } = await liveMigrations.cutover(project, id(params, 'liveMigrationId'));
        return {
          status: 200,
          body: {
            _id: migration.id,
            groupId: migration.plan.groupId,
            sourceGroupId: migration.plan.sourceGroupId,
            status: completed ? 'SUCCESS' : 'PENDING',
          },
        };
      },
    }),
  ];

  const sourceOrgIdOf = (params: Readonly<Record<string, string>>): string => {
    const sourceOrgId = params['sourceOrgId'] ?? '';
    if (!isObjectId(sourceOrgId)) throw apiErrors.invalidOrgId(sourceOrgId);
    return sourceOrgId;
  };
  const sourceGroupIdOf = (params: Readonly<Record<string, string>>): string => {
    const sourceGroupId = params['sourceGroupId'] ?? '';
    if (!isObjectId(sourceGroupId)) throw apiErrors.invalidGroupId(sourceGroupId);
    return sourceGroupId;
  };
  const relay = [
    defineRoute({
      name: 'getMigrationHostJob',
      summary: "Give a migration host its job; the host's heartbeat (livelink's own endpoint)",
      method: 'GET',
      paths: [`${RELAY_BASE}/groups/:sourceGroupId/migrationHosts/:hostname/job`],
      access: { kind: 'organization', role: 'ORG_LIVE_MIGRATION_LINK' },
      response: JobAnswerSchema,
      async handle({ apiKey, organization, params }) {
        const sourceOrgId = sourceOrgIdOf(params);
        const sourceGroupId = sourceGroupIdOf(params);
        const job = await liveMigrations.nextJob(organization, apiKey, sourceOrgId, sourceGroupId, params['hostname'] ?? '');
        const answer: JobAnswer = { job };
        return { status: 200, body: answer };
      },
    }),
    defineRoute({
      name: 'putMigrationHostJobReport',
      summary: "Receive a migration host's report on its job (livelink's own endpoint)",
      method: 'PUT',
      paths: [`${RELAY_BASE}/groups/:sourceGroupId/migrationHosts/:hostname/jobs/:jobId`],
      access: { kind: 'organization', role: 'ORG_LIVE_MIGRATION_LINK' },
      body: JobReportSchema,
      response: JobInstructionsSchema,
      async handle({ apiKey, organization, params, body }) {
        const host = { sourceOrgId: sourceOrgIdOf(params), sourceGroupId: sourceGroupIdOf(params), hostname: params['hostname'] ?? '' };
        return { status: 200, body: await liveMigrations.report(organization, apiKey, host, id(params, 'jobId'), body) };
      },
    }),
  ];

  return [...v2, ...v1, ...relay];
}
