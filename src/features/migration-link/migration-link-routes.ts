import { Type } from '@sinclair/typebox';
import { constantBody } from '../../http/reply.js';
import { defineRoute, type ApiRoute } from '../organizations/api-route.js';
import type { LinkStatus } from './migration-link.js';
import type { MigrationLinkService } from './migration-link-service.js';

/**
 * The seed resource. Ops Manager serves it under /api/public/v1.0; the reference's own curl example
 * posts to /api/atlas/v1.0, so livelink answers that alias identically.
 */
const BASES = ['/api/public/v1.0', '/api/atlas/v1.0'] as const;

const LinkTokenBody = Type.Object({ linkToken: Type.String() }, { additionalProperties: false });
const StatusSchema = Type.Object({ status: Type.Union([Type.Literal('SYNCED'), Type.Literal('NOT_SYNCED')]) });
/** The status answer's two bodies, declared constant: the edge serializes each once, not per request. */
const STATUS_BODIES: Readonly<Record<LinkStatus, Readonly<{ status: LinkStatus }>>> = {
  SYNCED: constantBody({ status: 'SYNCED' }),
  NOT_SYNCED: constantBody({ status: 'NOT_SYNCED' }),
};

export function migrationLinkRoutes(links: MigrationLinkService): ApiRoute[] {
  return [
    defineRoute({
      name: 'createMigrationLink',
      summary: 'Connect one organization with one Atlas organization',
      method: 'POST',
      paths: BASES.map((base) => `${base}/orgs/:orgId/liveExport/migrationLink`),
      access: { kind: 'organization', role: 'ORG_OWNER' },
      body: LinkTokenBody,
      response: StatusSchema,
      errors: [409, 502, 503, 504],
      async handle({ organization, body }) {
        const status = await links.connect(organization, body.linkToken);
        return { status: 201, body: { status } };
      },
    }),
    defineRoute({
      name: 'deleteMigrationLink',
      summary: 'Remove the connection between organizations',
      method: 'DELETE',
      paths: BASES.map((base) => `${base}/orgs/:orgId/liveExport/migrationLink`),
      access: { kind: 'organization', role: 'ORG_OWNER' },
      // 409 while the target migrates one of the organization's deployments.
      errors: [409],
      async handle({ organization }) {
        await links.disconnect(organization);
        return { status: 204 };
      },
    }),
    defineRoute({
      name: 'getMigrationLinkStatus',
      summary: 'Return the status of the connection between organizations',
      method: 'GET',
      paths: BASES.map((base) => `${base}/orgs/:orgId/liveExport/migrationLink/status`),
      access: { kind: 'organization', role: 'ORG_OWNER' },
      response: StatusSchema,
      async handle({ organization }) {
        return { status: 200, body: STATUS_BODIES[await links.status(organization.id)] };
      },
    }),
  ];
}
