/**
 * every role × organization (its own, another, one that does not exist) × route. Only the cells
 * the route's declared role admits get past authorization; every other cell gets the same 401
 * USER_UNAUTHORIZED (a global key on a missing organization: 404 ORG_NOT_FOUND), and no cell writes
 * anything: the request bodies are chosen so that even an admitted request stops at validation.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Role } from '../../src/features/api-keys/api-key.js';
import type { DigestTestClient } from '../support/digest-client.js';
import { startLivelink, type RunningLivelink } from '../support/livelink-fixture.js';

type OrgKind = 'own' | 'other' | 'missing';
const MISSING_ORG = 'ffffffffffffffffffffffff';
const ROLES: readonly Role[] = ['ORG_OWNER', 'ORG_MEMBER', 'ORG_READ_ONLY', 'ORG_LIVE_MIGRATION_LINK', 'GLOBAL_OWNER', 'GLOBAL_READ_ONLY'];

interface RouteCase {
  name: string;
  method: string;
  path: (orgId: string) => string;
  body?: unknown;
  /** The roles the route admits on the key's own organization; global roles on any organization. */
  admits: readonly Role[];
}

const OWNER_ONLY: readonly Role[] = ['ORG_OWNER', 'GLOBAL_OWNER'];
const ROUTES: readonly RouteCase[] = [
  {
    name: 'POST migrationLink',
    method: 'POST',
    path: (o) => `/api/public/v1.0/orgs/${o}/liveExport/migrationLink`,
    body: {},
    admits: OWNER_ONLY,
  },
  {
    name: 'DELETE migrationLink',
    method: 'DELETE',
    path: (o) => `/api/public/v1.0/orgs/${o}/liveExport/migrationLink`,
    admits: OWNER_ONLY,
  },
  {
    name: 'GET migrationLink status',
    method: 'GET',
    path: (o) => `/api/public/v1.0/orgs/${o}/liveExport/migrationLink/status`,
    admits: OWNER_ONLY,
  },
  {
    name: 'POST linkTokens',
    method: 'POST',
    path: (o) => `/api/atlas/v2/orgs/${o}/liveMigrations/linkTokens`,
    body: { accessListIps: ['not-an-ip'] },
    admits: OWNER_ONLY,
  },
  { name: 'DELETE linkTokens', method: 'DELETE', path: (o) => `/api/atlas/v2/orgs/${o}/liveMigrations/linkTokens`, admits: OWNER_ONLY },
  {
    name: 'GET availableProjects',
    method: 'GET',
    path: (o) => `/api/atlas/v2/orgs/${o}/liveMigrations/availableProjects`,
    admits: OWNER_ONLY,
  },
  {
    name: 'PUT source inventory',
    method: 'PUT',
    path: (o) => `/api/atlas/v1.0/orgs/${o}/liveMigrations/sourceOrganizations/${'a'.repeat(24)}`,
    body: {},
    admits: ['ORG_LIVE_MIGRATION_LINK'],
  },
  {
    name: 'GET org',
    method: 'GET',
    path: (o) => `/api/public/v1.0/orgs/${o}`,
    admits: ['ORG_OWNER', 'ORG_MEMBER', 'ORG_READ_ONLY', 'GLOBAL_OWNER', 'GLOBAL_READ_ONLY'],
  },
  {
    name: 'GET org groups',
    method: 'GET',
    path: (o) => `/api/public/v1.0/orgs/${o}/groups`,
    admits: ['ORG_OWNER', 'ORG_MEMBER', 'ORG_READ_ONLY', 'GLOBAL_OWNER', 'GLOBAL_READ_ONLY'],
  },
  {
    name: 'GET org events',
    method: 'GET',
    path: (o) => `/api/public/v1.0/orgs/${o}/events`,
    admits: ['ORG_OWNER', 'ORG_MEMBER', 'GLOBAL_OWNER'],
  },
];

const TABLES = ['organizations', 'projects', 'api_keys', 'migration_links', 'link_tokens', 'linked_sources', 'audit_events'] as const;

describe('the authorization matrix', () => {
  let server: RunningLivelink;
  let ownOrg: string;
  let otherOrg: string;
  /** The link-token key's own organization: kept apart, so that deleting link-tokens elsewhere cannot revoke it. */
  let linkOrg: string;
  const clients = new Map<Role, DigestTestClient>();

  before(async () => {
    server = await startLivelink();
    const { organizations, apiKeys, linkTokens } = server.livelink.services;
    const own = await organizations.createOrganization('Own Org');
    ownOrg = own.id;
    otherOrg = (await organizations.createOrganization('Other Org')).id;
    const link = await organizations.createOrganization('Link Org');
    linkOrg = link.id;
    for (const role of ROLES) {
      if (role === 'ORG_LIVE_MIGRATION_LINK') {
        // The real way such a key comes to be: inside a link-token.
        const token = JSON.parse(Buffer.from(await linkTokens.createToken(link, []), 'base64').toString()) as Record<string, string>;
        clients.set(role, server.client(token['publicApiKey'] as string, token['privateApiKey'] as string));
        continue;
      }
      const global = role.startsWith('GLOBAL_');
      const { apiKey, privateKey } = await apiKeys.create({
        orgId: global ? null : ownOrg,
        description: role,
        roles: [role],
        accessList: [],
      });
      clients.set(role, server.client(apiKey.publicKey, privateKey));
    }
  });
  after(() => server.close());

  async function rowCounts(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const table of TABLES) {
      const rows = await server.livelink.database.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      counts[table] = Number(rows.n);
    }
    return counts;
  }

  for (const route of ROUTES) {
    it(route.name, async () => {
      const before = await rowCounts();
      const cells: string[] = [];
      for (const role of ROLES) {
        for (const kind of ['own', 'other', 'missing'] as OrgKind[]) {
          const own = role === 'ORG_LIVE_MIGRATION_LINK' ? linkOrg : ownOrg;
          const orgId = kind === 'own' ? own : kind === 'other' ? otherOrg : MISSING_ORG;
          const client = clients.get(role) as DigestTestClient;
          const response = await client.request(route.method, route.path(orgId), route.body);
          const errorCode = response.status >= 400 ? (response.json() as { errorCode: string }).errorCode : undefined;
          const global = role.startsWith('GLOBAL_');
          const admitted = route.admits.includes(role) && (kind === 'own' || (global && kind === 'other'));
          const cell = `${role} × ${kind}: ${response.status} ${errorCode ?? ''}`;
          cells.push(cell);
          if (admitted) {
            assert.ok(response.status !== 401 && response.status !== 403 && errorCode !== 'ORG_NOT_FOUND', cell);
          } else if (global && kind === 'missing' && route.admits.includes(role)) {
            assert.equal(errorCode, 'ORG_NOT_FOUND', cell);
          } else {
            assert.equal(response.status, 401, cell);
            assert.equal(errorCode, 'USER_UNAUTHORIZED', cell);
            assert.equal(response.headers.get('www-authenticate'), null, cell);
          }
        }
      }
      assert.deepEqual(await rowCounts(), before, `no cell may write: ${cells.join('; ')}`);
    });
  }
});
