/**
 * Regression tests for what Schemathesis found against livelink's own OpenAPI document, one each.
 * (The QUERY/PUT → 405 with Allow, the INVALID_QUERY_PARAMETER for pretty/envelope and the JSON null
 * body findings are covered in public-api-edge.test.ts.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startLivelink, type RunningLivelink } from '../support/livelink-fixture.js';

describe('Schemathesis findings, fixed', () => {
  let server: RunningLivelink;
  let inventoryPath: string;
  let push: (body: unknown) => Promise<{ status: number; text: string }>;

  before(async () => {
    server = await startLivelink();
    const atlas = await server.livelink.services.organizations.createOrganization('Atlas Org');
    const token = JSON.parse(Buffer.from(await server.livelink.services.linkTokens.createToken(atlas, []), 'base64').toString()) as Record<
      string,
      string
    >;
    const client = server.client(token['publicApiKey'] as string, token['privateApiKey'] as string);
    inventoryPath = `/api/atlas/v1.0/orgs/${atlas.id}/liveMigrations/sourceOrganizations/${'e'.repeat(24)}`;
    push = (body) => client.request('PUT', inventoryPath, body);
  });
  after(() => server.close());

  const deployment = (fcv: string) => ({
    featureCompatibilityVersion: fcv,
    managed: true,
    mongoDBVersion: '6.0.14',
    name: 'rs0',
    sharded: false,
    tlsEnabled: false,
  });
  const project = (i: number, deployments: unknown[]) => ({
    deployments,
    migrationHosts: [],
    name: `Project ${i}`,
    projectId: i.toString(16).padStart(24, '0'),
  });

  it('accepts strings with characters outside the BMP (JSON Schema counts characters, not UTF-16 units)', async () => {
    const response = await push({ name: 'Source 🐘', projects: [project(1, [deployment('6.0 🐘🐘🐘🐘🐘🐘🐘🐘🐘🐘🐘🐘🐘🐘')])] });
    assert.equal(response.status, 200, response.text);
  });

  it('accepts an inventory larger than the default 64 KiB body limit', async () => {
    const projects = Array.from({ length: 900 }, (_, i) =>
      project(
        i,
        [deployment('6.0'), deployment('6.0')].map((d, j) => ({ ...d, name: `rs${j}` })),
      ),
    );
    const body = { name: 'Big Source', projects };
    assert.ok(JSON.stringify(body).length > 150_000);
    const response = await push(body);
    assert.equal(response.status, 200, response.text.slice(0, 200));
  });

  it('marks a request body required exactly when its schema requires a field', () => {
    const document = server.livelink.openApiDocument() as {
      paths: Record<string, Record<string, { requestBody?: { required: boolean } }>>;
    };
    assert.equal(document.paths['/api/public/v1.0/orgs/{orgId}/liveExport/migrationLink']?.['post']?.requestBody?.required, true);
    assert.equal(document.paths['/api/atlas/v2/orgs/{orgId}/liveMigrations/linkTokens']?.['post']?.requestBody?.required, false);
    assert.equal(
      document.paths['/api/atlas/v1.0/orgs/{orgId}/liveMigrations/sourceOrganizations/{sourceOrgId}']?.['put']?.requestBody?.required,
      true,
    );
  });
});
