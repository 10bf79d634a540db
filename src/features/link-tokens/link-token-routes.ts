import { Type } from '@sinclair/typebox';
import { apiErrors } from '../../http/api-error.js';
import { isObjectId } from '../../shared/ids.js';
import { defineRoute, type ApiRoute } from '../organizations/api-route.js';
import { AvailableProjectSchema, SourceInventorySchema } from './available-project.js';
import type { LinkTokenService } from './link-token-service.js';

const ATLAS_BASES = ['/api/atlas/v1.0', '/api/atlas/v2'] as const;

/**
 * `accessListIps` may be absent (atlas-sdk), null (the v1 Go client) or a list (the Atlas CLI sends []).
 */
const CreateLinkTokenBody = Type.Object(
  { accessListIps: Type.Optional(Type.Union([Type.Array(Type.String(), { maxItems: 200 }), Type.Null()])) },
  { additionalProperties: false },
);

/**
 * livelink's own endpoint for what Ops Manager pushes to Atlas (the real one is not public):
 * `PUT /api/atlas/v1.0/orgs/{targetOrgId}/liveMigrations/sourceOrganizations/{sourceOrgId}` with
 * `{"name": ..., "projects": [AvailableProject...]}`, and `DELETE` on the same path when the source
 * disconnects. Only the key embedded in one of the organization's link-tokens may call it.
 */
export const SOURCE_INVENTORY_PATH = '/api/atlas/v1.0/orgs/:orgId/liveMigrations/sourceOrganizations/:sourceOrgId';

export function linkTokenRoutes(linkTokens: LinkTokenService): ApiRoute[] {
  const sourceOrgIdOf = (params: Readonly<Record<string, string>>): string => {
    const id = params['sourceOrgId'] ?? '';
    if (!isObjectId(id)) throw apiErrors.invalidOrgId(id);
    return id;
  };
  return [
    defineRoute({
      name: 'createLinkToken',
      summary: 'Create one link-token',
      method: 'POST',
      paths: ATLAS_BASES.map((base) => `${base}/orgs/:orgId/liveMigrations/linkTokens`),
      access: { kind: 'organization', role: 'ORG_OWNER' },
      body: CreateLinkTokenBody,
      response: Type.Object({ linkToken: Type.String() }),
      async handle({ organization, body }) {
        const linkToken = await linkTokens.createToken(organization, body.accessListIps ?? []);
        return { status: 201, body: { linkToken } };
      },
    }),
    defineRoute({
      name: 'deleteLinkTokens',
      summary: 'Remove the organization links and their API keys',
      method: 'DELETE',
      paths: ATLAS_BASES.map((base) => `${base}/orgs/:orgId/liveMigrations/linkTokens`),
      access: { kind: 'organization', role: 'ORG_OWNER' },
      // 409 while a live migration runs (CANNOT_DELETE_ORG_ACTIVE_LIVE_MIGRATION_ATLAS_ORG_LINK).
      errors: [409],
      async handle({ organization }) {
        await linkTokens.deleteTokens(organization);
        return { status: 204 };
      },
    }),
    defineRoute({
      name: 'listAvailableProjects',
      summary: 'Return the projects that linked source organizations pushed',
      method: 'GET',
      paths: ATLAS_BASES.map((base) => `${base}/orgs/:orgId/liveMigrations/availableProjects`),
      access: { kind: 'organization', role: 'ORG_OWNER' },
      response: Type.Array(AvailableProjectSchema),
      async handle({ organization }) {
        return { status: 200, body: await linkTokens.availableProjects(organization) };
      },
    }),
    defineRoute({
      name: 'putSourceOrganizationInventory',
      summary: "Receive a linked source organization's inventory (livelink's own endpoint)",
      method: 'PUT',
      paths: [SOURCE_INVENTORY_PATH],
      access: { kind: 'organization', role: 'ORG_LIVE_MIGRATION_LINK' },
      body: SourceInventorySchema,
      // An organization of a thousand deployments pushes a few hundred kilobytes.
      bodyLimitBytes: 16 * 1024 * 1024,
      response: Type.Object({ pushedAt: Type.String(), sourceOrgId: Type.String() }),
      async handle({ apiKey, organization, params, body }) {
        const sourceOrgId = sourceOrgIdOf(params);
        const pushedAt = await linkTokens.receiveInventory(apiKey, organization, sourceOrgId, body);
        return { status: 200, body: { pushedAt, sourceOrgId } };
      },
    }),
    defineRoute({
      name: 'deleteSourceOrganizationInventory',
      summary: "Forget a source organization that disconnected (livelink's own endpoint)",
      method: 'DELETE',
      paths: [SOURCE_INVENTORY_PATH],
      access: { kind: 'organization', role: 'ORG_LIVE_MIGRATION_LINK' },
      errors: [409],
      async handle({ organization, params }) {
        await linkTokens.forgetSource(organization, sourceOrgIdOf(params));
        return { status: 204 };
      },
    }),
  ];
}
