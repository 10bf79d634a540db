/**
 * The source's calls to the target under a misbehaving target: redirects are failures and are not
 * followed, at most 16 calls are in flight, and whatever the target answers, the
 * source answers 201 or a documented error and never leaves a partial link.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { DigestTestClient } from '../support/digest-client.js';
import { startLivelink, type RunningLivelink } from '../support/livelink-fixture.js';

const TOKEN = Buffer.from(
  JSON.stringify({
    orgId: 'c'.repeat(24),
    orgName: 'Atlas',
    privateApiKey: '11111111-2222-4333-8444-555555555555',
    publicApiKey: 'abcdefgh',
  }),
).toString('base64');

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

async function listen(handler: Handler): Promise<{ server: Server; url: string; connections: () => number }> {
  let connections = 0;
  const server = createServer((request, response) => handler(request, response));
  server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, connections: () => connections };
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

/** The source org id is the last path segment of livelink's inventory path. */
const sourceOrgOf = (request: IncomingMessage) => (request.url ?? '').split('/').pop() ?? '';

describe('a misbehaving target', () => {
  let handler: Handler = (_request, response) => response.end();
  let target: Awaited<ReturnType<typeof listen>>;
  let source: RunningLivelink;
  let admin: DigestTestClient;
  const orgs: string[] = [];

  before(async () => {
    target = await listen((request, response) => {
      request.resume();
      handler(request, response);
    });
    source = await startLivelink({ role: 'source', 'target-url': target.url }, { LIVELINK_OUTBOUND_TIMEOUT: '2' });
    const { apiKey, privateKey } = await source.livelink.services.apiKeys.create({
      orgId: null,
      description: 'admin',
      roles: ['GLOBAL_OWNER'],
      accessList: [],
    });
    admin = source.client(apiKey.publicKey, privateKey);
    for (let i = 0; i < 100; i += 1) orgs.push((await source.livelink.services.organizations.createOrganization(`Org ${i}`)).id);
  });
  after(async () => {
    await source.close();
    await close(target.server);
  });

  const link = (orgId: string) => admin.request('POST', `/api/public/v1.0/orgs/${orgId}/liveExport/migrationLink`, { linkToken: TOKEN });
  const linkOf = (orgId: string) => source.livelink.services.migrationLinks.describe(orgId);

  it('treats 301, 302, 307 and 308 as failures and never follows them (A-12)', async () => {
    const sentinel = await listen((_request, response) => response.end('{}'));
    try {
      for (const status of [301, 302, 307, 308]) {
        handler = (_request, response) => response.writeHead(status, { location: `${sentinel.url}/elsewhere` }).end();
        const response = await link(orgs[0] as string);
        assert.equal(response.status, 502, String(status));
        assert.equal((response.json() as { errorCode: string }).errorCode, 'TARGET_BAD_RESPONSE');
        assert.equal(await linkOf(orgs[0] as string), undefined);
      }
      assert.equal(sentinel.connections(), 0);
    } finally {
      await close(sentinel.server);
    }
  });

  it('never has more than 16 calls to the target in flight (A-08)', async () => {
    let inFlight = 0;
    let most = 0;
    handler = (request, response) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      setTimeout(() => {
        inFlight -= 1;
        response
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ pushedAt: 'now', sourceOrgId: sourceOrgOf(request) }));
      }, 100);
    };
    const statuses = await Promise.all(orgs.map((orgId) => link(orgId).then((r) => r.status)));
    assert.deepEqual([...new Set(statuses)], [201]);
    assert.ok(most <= 16, `${most} calls were in flight`);
    assert.ok(most > 1, 'the calls did overlap');
    handler = (_request, response) => response.writeHead(204).end();
    for (const orgId of orgs)
      assert.equal((await admin.request('DELETE', `/api/public/v1.0/orgs/${orgId}/liveExport/migrationLink`)).status, 204);
  });

  it('answers 201 or a documented error to anything the target says, and leaves no partial link (A-16)', async () => {
    const answer = fc.record({
      status: fc.constantFrom(200, 201, 204, 400, 401, 403, 404, 409, 429, 500, 502, 503),
      contentType: fc.constantFrom('application/json', 'text/html', 'application/octet-stream', ''),
      body: fc.oneof(
        fc.json(),
        fc.string(),
        fc
          .record({ sourceOrgId: fc.oneof(fc.string(), fc.constant('SOURCE')), pushedAt: fc.oneof(fc.string(), fc.integer()) })
          .map((o) => JSON.stringify(o)),
        fc.record({ errorCode: fc.string(), detail: fc.string({ maxLength: 2000 }) }).map((o) => JSON.stringify(o)),
        fc.constant('x'.repeat(2 * 1024 * 1024)),
      ),
      closeEarly: fc.boolean(),
    });
    const orgId = orgs[1] as string;
    await fc.assert(
      fc.asyncProperty(answer, async ({ status, contentType, body, closeEarly }) => {
        handler = (request, response) => {
          if (closeEarly) {
            response.socket?.destroy();
            return;
          }
          const text = body.replace('SOURCE', sourceOrgOf(request));
          response.writeHead(status, contentType === '' ? {} : { 'content-type': contentType }).end(text);
        };
        const response = await link(orgId);
        assert.ok([201, 400, 502, 503, 504].includes(response.status), `${response.status} ${response.text}`);
        const stored = await linkOf(orgId);
        if (response.status === 201) {
          assert.equal(stored?.state, 'LINKED');
          handler = (_request, reply) => reply.writeHead(204).end();
          assert.equal((await admin.request('DELETE', `/api/public/v1.0/orgs/${orgId}/liveExport/migrationLink`)).status, 204);
        } else {
          assert.equal(stored, undefined, 'a failed link left a row');
        }
      }),
      { numRuns: Number(process.env['LIVELINK_FUZZ_TARGET_RUNS'] ?? 300) },
    );
  });
});
