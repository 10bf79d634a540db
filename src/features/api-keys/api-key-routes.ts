import { Type } from '@sinclair/typebox';
import { apiErrors } from '../../http/api-error.js';
import { atlasPagedList, pagedList, type Link } from '../../http/paging.js';
import { accessListEntryAsCidr, accessListEntryIdentity } from '../../shared/access-list.js';
import { defineRoute, type ApiRoute } from '../organizations/api-route.js';
import { USER_ROLES } from '../users/user.js';
import type { ApiKey } from './api-key.js';
import type { ApiKeyService } from './api-key-service.js';

/**
 * Where an organization's programmatic API keys are served: Ops Manager's Public API (whose older name for
 * the access list, `whitelist`, is kept as an alias), and Atlas's Admin API v1.0 and v2 (with Atlas's
 * `includeCount` on lists).
 */
export interface ApiKeyBase {
  base: '/api/public/v1.0' | '/api/atlas/v1.0' | '/api/atlas/v2';
  /** Suffix of the operation names, which must be unique across the route table. */
  suffix: string;
}

export const OPS_MANAGER_API_KEYS: ApiKeyBase = { base: '/api/public/v1.0', suffix: '' };
export const ATLAS_API_KEYS: readonly ApiKeyBase[] = [
  { base: '/api/atlas/v2', suffix: 'Atlas' },
  { base: '/api/atlas/v1.0', suffix: 'AtlasV1' },
];

const LinkSchema = Type.Object({ href: Type.String(), rel: Type.String() });
const ObjectIdPattern = '^[a-f0-9]{24}$';

const ApiKeySchema = Type.Object({
  desc: Type.String(),
  id: Type.String({ pattern: ObjectIdPattern }),
  links: Type.Array(LinkSchema),
  /** The whole private key in the answer to a create, and only there. */
  privateKey: Type.Optional(Type.String()),
  publicKey: Type.String(),
  roles: Type.Array(Type.Object({ orgId: Type.String({ pattern: ObjectIdPattern }), roleName: Type.String() })),
});

const AccessListEntrySchema = Type.Object({
  cidrBlock: Type.String(),
  ipAddress: Type.Optional(Type.String()),
  links: Type.Array(LinkSchema),
});

function listOf(item: typeof ApiKeySchema | typeof AccessListEntrySchema) {
  return Type.Object({ links: Type.Array(LinkSchema), results: Type.Array(item), totalCount: Type.Optional(Type.Integer({ minimum: 0 })) });
}

/** The organization roles a key can be given here; the link-token and migration-host roles are livelink's to give. */
const OrgRoleSchema = Type.Union(USER_ROLES.map((role) => Type.Literal(role)));
const DescSchema = Type.String({ minLength: 1, maxLength: 250 });

const Closed = { additionalProperties: false } as const;
const CreateApiKeyBody = Type.Object({ desc: DescSchema, roles: Type.Array(OrgRoleSchema, { minItems: 1, maxItems: 8 }) }, Closed);
const UpdateApiKeyBody = Type.Object(
  { desc: Type.Optional(DescSchema), roles: Type.Optional(Type.Array(OrgRoleSchema, { minItems: 1, maxItems: 8 })) },
  Closed,
);
/** Ops Manager's body: an array even for one entry, each an `ipAddress` or a `cidrBlock`. */
const AccessListBody = Type.Array(
  Type.Object(
    { ipAddress: Type.Optional(Type.String({ maxLength: 64 })), cidrBlock: Type.Optional(Type.String({ maxLength: 64 })) },
    Closed,
  ),
  { minItems: 1, maxItems: 500 },
);

/** An entry of the body as the service takes it; the attribute the client set is named when it is wrong. */
function requestedEntry(item: { ipAddress?: string | undefined; cidrBlock?: string | undefined }): string {
  const { ipAddress, cidrBlock } = item;
  if (ipAddress !== undefined && cidrBlock !== undefined)
    throw apiErrors.invalidAttribute('ipAddress', 'set ipAddress or cidrBlock, not both.');
  if (ipAddress !== undefined) {
    if (ipAddress.includes('/') || accessListEntryIdentity(ipAddress) === undefined)
      throw apiErrors.invalidAttribute('ipAddress', `${JSON.stringify(ipAddress)} is not an IP address.`);
    return ipAddress;
  }
  if (cidrBlock !== undefined) {
    if (!cidrBlock.includes('/') || accessListEntryIdentity(cidrBlock) === undefined)
      throw apiErrors.invalidAttribute('cidrBlock', `${JSON.stringify(cidrBlock)} is not a CIDR block.`);
    return cidrBlock;
  }
  throw apiErrors.missingAttribute('ipAddress');
}

/**
 * An organization's API keys and their access lists, as Ops Manager and Atlas serve them. Any role of the
 * organization reads its keys; an Organization Owner creates, changes and deletes them and their access
 * lists. The private key is shown once, in the answer to the create; livelink keeps only digest secrets
 * derived from it, so no later answer has a `privateKey`, not even a masked one.
 */
export function apiKeyRoutes(apiKeys: ApiKeyService, { base, suffix }: ApiKeyBase): ApiRoute[] {
  const isAtlas = base !== '/api/public/v1.0';
  const paged = isAtlas ? atlasPagedList : pagedList;
  const keysUrl = (origin: string, orgId: string) => `${origin}${base}/orgs/${orgId}/apiKeys`;
  const keyPaths = (path: string) => [`${base}/orgs/:orgId/apiKeys${path}`];
  // Ops Manager before 5.0 named the access list `whitelist`; it still answers there.
  const accessListPaths = (path: string) =>
    isAtlas
      ? [`${base}/orgs/:orgId/apiKeys/:apiKeyId/accessList${path}`]
      : [`${base}/orgs/:orgId/apiKeys/:apiKeyId/accessList${path}`, `${base}/orgs/:orgId/apiKeys/:apiKeyId/whitelist${path}`];

  function keyView(key: ApiKey, origin: string, privateKey?: string) {
    const orgId = key.orgId ?? '';
    return {
      desc: key.description,
      id: key.id,
      links: [{ href: `${keysUrl(origin, orgId)}/${key.id}`, rel: 'self' }] satisfies Link[],
      ...(privateKey === undefined ? {} : { privateKey }),
      publicKey: key.publicKey,
      roles: key.roles.map((roleName) => ({ orgId, roleName })),
    };
  }

  function entryViews(key: ApiKey, origin: string) {
    const url = `${keysUrl(origin, key.orgId ?? '')}/${key.id}/accessList`;
    return key.accessList.map((entry) => ({
      cidrBlock: accessListEntryAsCidr(entry),
      ...(entry.includes('/') ? {} : { ipAddress: entry }),
      links: [{ href: `${url}/${encodeURIComponent(entry)}`, rel: 'self' }] satisfies Link[],
    }));
  }

  const keyId = (params: Readonly<Record<string, string>>) => params['apiKeyId'] ?? '';

  return [
    defineRoute({
      name: `listApiKeys${suffix}`,
      summary: "Return the organization's API keys",
      method: 'GET',
      paths: keyPaths(''),
      access: { kind: 'organization', role: 'ORG_READ_ONLY' },
      response: listOf(ApiKeySchema),
      async handle({ organization, origin, query }) {
        const views = (await apiKeys.list(organization.id)).map((key) => keyView(key, origin));
        return { status: 200, body: paged(views, query, keysUrl(origin, organization.id)) };
      },
    }),
    defineRoute({
      name: `getApiKey${suffix}`,
      summary: 'Return one API key of the organization',
      method: 'GET',
      paths: keyPaths('/:apiKeyId'),
      access: { kind: 'organization', role: 'ORG_READ_ONLY' },
      response: ApiKeySchema,
      async handle({ organization, origin, params }) {
        return { status: 200, body: keyView(await apiKeys.getInOrganization(organization.id, keyId(params)), origin) };
      },
    }),
    defineRoute({
      name: `createApiKey${suffix}`,
      summary: 'Create an API key of the organization (its private key is in this answer only)',
      method: 'POST',
      paths: keyPaths(''),
      access: { kind: 'organization', role: 'ORG_OWNER' },
      body: CreateApiKeyBody,
      status: 200,
      response: ApiKeySchema,
      async handle({ organization, origin, body }) {
        const { apiKey, privateKey } = await apiKeys.create({
          orgId: organization.id,
          description: body.desc,
          roles: [...new Set(body.roles)],
          accessList: [],
        });
        return { status: 200, body: keyView(apiKey, origin, privateKey) };
      },
    }),
    defineRoute({
      name: `updateApiKey${suffix}`,
      summary: "Change an API key's description or roles",
      method: 'PATCH',
      paths: keyPaths('/:apiKeyId'),
      access: { kind: 'organization', role: 'ORG_OWNER' },
      body: UpdateApiKeyBody,
      response: ApiKeySchema,
      async handle({ organization, origin, params, body }) {
        const updated = await apiKeys.updateInOrganization(organization.id, keyId(params), {
          ...(body.desc === undefined ? {} : { description: body.desc }),
          ...(body.roles === undefined ? {} : { roles: [...new Set(body.roles)] }),
        });
        return { status: 200, body: keyView(updated, origin) };
      },
    }),
    defineRoute({
      name: `deleteApiKey${suffix}`,
      summary: 'Delete an API key of the organization',
      method: 'DELETE',
      paths: keyPaths('/:apiKeyId'),
      access: { kind: 'organization', role: 'ORG_OWNER' },
      errors: [409],
      async handle({ organization, params }) {
        await apiKeys.deleteFromOrganization(organization.id, keyId(params));
        return { status: 204 };
      },
    }),
    defineRoute({
      name: `listApiKeyAccessList${suffix}`,
      summary: "Return an API key's access list",
      method: 'GET',
      paths: accessListPaths(''),
      access: { kind: 'organization', role: 'ORG_OWNER' },
      response: listOf(AccessListEntrySchema),
      async handle({ organization, origin, params, query }) {
        const key = await apiKeys.getInOrganization(organization.id, keyId(params));
        return { status: 200, body: paged(entryViews(key, origin), query, `${keysUrl(origin, organization.id)}/${key.id}/accessList`) };
      },
    }),
    defineRoute({
      name: `createApiKeyAccessList${suffix}`,
      summary: "Add entries to an API key's access list (those it has already are kept as they are)",
      method: 'POST',
      paths: accessListPaths(''),
      access: { kind: 'organization', role: 'ORG_OWNER' },
      body: AccessListBody,
      status: 200,
      response: listOf(AccessListEntrySchema),
      errors: [409],
      async handle({ organization, origin, params, query, body }) {
        const key = await apiKeys.addAccessListEntries(organization.id, keyId(params), body.map(requestedEntry));
        return { status: 200, body: paged(entryViews(key, origin), query, `${keysUrl(origin, organization.id)}/${key.id}/accessList`) };
      },
    }),
    defineRoute({
      name: `getApiKeyAccessListEntry${suffix}`,
      summary: "Return one entry of an API key's access list (a CIDR block's slash sent as %2F)",
      method: 'GET',
      paths: accessListPaths('/:accessListEntry'),
      access: { kind: 'organization', role: 'ORG_OWNER' },
      response: AccessListEntrySchema,
      async handle({ organization, origin, params }) {
        const key = await apiKeys.getInOrganization(organization.id, keyId(params));
        const wanted = params['accessListEntry'] ?? '';
        const identity = accessListEntryIdentity(wanted);
        const index = key.accessList.findIndex((entry) => identity !== undefined && accessListEntryIdentity(entry) === identity);
        const view = entryViews(key, origin)[index];
        if (view === undefined) throw apiErrors.apiKeyAccessListEntryNotFound(wanted);
        return { status: 200, body: view };
      },
    }),
    defineRoute({
      name: `deleteApiKeyAccessListEntry${suffix}`,
      summary: "Remove one entry from an API key's access list (a CIDR block's slash sent as %2F)",
      method: 'DELETE',
      paths: accessListPaths('/:accessListEntry'),
      access: { kind: 'organization', role: 'ORG_OWNER' },
      errors: [409],
      async handle({ organization, params }) {
        await apiKeys.removeAccessListEntry(organization.id, keyId(params), params['accessListEntry'] ?? '');
        return { status: 204 };
      },
    }),
  ];
}
