import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { generateOpenApi } from '../../scripts/write-openapi.js';
import { startLivelink, type RunningLivelink } from '../support/livelink-fixture.js';

describe('the OpenAPI document', () => {
  let server: RunningLivelink;
  before(async () => {
    server = await startLivelink();
  });
  after(() => server.close());

  it('is committed exactly as generated from the route table (run `npm run openapi` after changing a route)', async () => {
    assert.equal(readFileSync(new URL('../../openapi.json', import.meta.url), 'utf8'), await generateOpenApi());
  });

  it('is served without authentication at /openapi.json', async () => {
    const response = await fetch(`${server.url}/openapi.json`);
    assert.equal(response.status, 200);
    const document = (await response.json()) as {
      openapi: string;
      paths: Record<string, Record<string, { operationId: string; security?: unknown }>>;
    };
    assert.equal(document.openapi, '3.1.0');
    const link = document.paths['/api/public/v1.0/orgs/{orgId}/liveExport/migrationLink'];
    assert.deepEqual(Object.keys(link ?? {}).sort(), ['delete', 'post']);
    assert.equal(link?.['post']?.operationId, 'createMigrationLink');
    assert.deepEqual(link?.['post']?.security, [{ digest: [] }]);
    assert.ok(document.paths['/api/atlas/v2/orgs/{orgId}/liveMigrations/linkTokens']);
    assert.ok(document.paths['/api/atlas/v2/orgs/{orgId}/liveMigrations/availableProjects']?.['get']);
  });

  it('documents every status a route answers, with the versioned media type on Atlas v2', () => {
    const document = server.livelink.openApiDocument() as {
      paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>>;
    };
    const post = document.paths['/api/public/v1.0/orgs/{orgId}/liveExport/migrationLink']?.['post'];
    assert.deepEqual(Object.keys(post?.responses ?? {}).sort(), [
      '201',
      '400',
      '401',
      '403',
      '404',
      '409',
      '413',
      '415',
      '429',
      '500',
      '502',
      '503',
      '504',
    ]);
    const create = document.paths['/api/atlas/v2/orgs/{orgId}/liveMigrations/linkTokens']?.['post'];
    assert.deepEqual(Object.keys(create?.responses['201']?.content ?? {}), ['application/vnd.atlas.2023-01-01+json']);
    assert.deepEqual(Object.keys(create?.responses['401']?.content ?? {}), ['application/json']);
  });
});
