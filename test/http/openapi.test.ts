import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { generateOpenApi } from '../../scripts/write-openapi.js';
import { SNAPSHOT_NAME_PATTERN } from '../../src/features/snapshots/snapshot.js';
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

  it('documents the control API: the bearer scheme it enforces, both statuses of taking a snapshot, the pattern of a snapshot name', () => {
    const document = server.livelink.openApiDocument() as {
      components: { securitySchemes: Record<string, { type: string; scheme: string; description?: string }> };
      paths: Record<
        string,
        Record<string, { security: unknown; parameters: { name: string; in: string; schema: unknown }[]; responses: object }>
      >;
    };
    const scheme = document.components.securitySchemes['controlToken'];
    assert.equal(scheme?.scheme, 'bearer');
    assert.match(scheme?.description ?? '', /no token configured needs none from a caller on its own machine \(loopback\)/);
    const take = document.paths['/_livelink/control/v1/snapshots/{name}']?.['put'];
    assert.deepEqual(take?.security, [{ controlToken: [] }]);
    assert.deepEqual(Object.keys(take?.responses ?? {}), ['200', '201', '400', '401', '403', '404', '414', '500']);
    for (const path of ['/_livelink/control/v1/snapshots/{name}', '/_livelink/control/v1/reset/{name}']) {
      for (const operation of Object.values(document.paths[path] ?? {})) {
        const parameter = operation.parameters.find((each) => each.in === 'path');
        assert.equal(parameter?.name, 'name');
        assert.equal((parameter?.schema as { pattern?: string }).pattern, SNAPSHOT_NAME_PATTERN);
      }
    }
    // A reset can meet a snapshot taken before a schema migration.
    assert.ok('409' in (document.paths['/_livelink/control/v1/reset']?.['post']?.responses ?? {}));
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
      // A path parameter past the router's length limit (maxParamLength).
      '414',
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
