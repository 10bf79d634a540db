/**
 * The source's calls to its target, and a migration host's calls to its source, answer a `401 … stale=true`
 * once more with the fresh nonce, as curl and Python requests do (shared reference: digest-clients.md), and only once: a target that keeps saying
 * stale, or says 401 without stale (a wrong key), gets no further attempt. Against a real HTTP server that
 * checks every digest answer with the independent reference calculator.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { LinkTokenContents } from '../../src/features/link-tokens/link-token-codec.js';
import { SourceRelayClient } from '../../src/features/migration-hosts/source-relay-client.js';
import { HttpTargetClient, type InjectedFailure } from '../../src/features/migration-link/target-client.js';
import { clientResponse } from '../digest/client-side.js';

const TARGET_ORG = 'aaaaaaaaaaaaaaaaaaaaaaaa';
const SOURCE_ORG = 'bbbbbbbbbbbbbbbbbbbbbbbb';
const token: LinkTokenContents = {
  orgId: TARGET_ORG,
  orgName: 'Atlas',
  privateApiKey: '11111111-2222-4333-8444-555555555555',
  publicApiKey: 'abcdefgh',
};
const INVENTORY = { name: 'Source Org', projects: [] };
const NOT_AUTHORIZED = 'Current user is not authorized to perform this action.';
const refused401 = (detail: string) => ({ kind: 'refused', status: 401, errorCode: 'USER_UNAUTHORIZED', detail });

/** How the server answers a digest answer that verifies: the first N of them stale, or every one wrong. */
type Mode = { staleAnswers: number } | 'wrong-key' | 'stale-then-hang';

interface Seen {
  method: string;
  /** The nonce the request's Authorization answered; undefined for a request without one. */
  nonce: string | undefined;
  /** Whether the answer's digest verified against the key. */
  verified: boolean;
  body: string;
}

function fields(header: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const part of header.replace(/^Digest\s+/i, '').matchAll(/([a-z]+)=(?:"([^"]*)"|([^\s,]*))/gi)) {
    map.set((part[1] ?? '').toLowerCase(), part[2] ?? part[3] ?? '');
  }
  return map;
}

function verifies(request: IncomingMessage, authorization: Map<string, string>): boolean {
  const expected = clientResponse({
    username: token.publicApiKey,
    password: token.privateApiKey,
    realm: authorization.get('realm') ?? '',
    method: request.method ?? '',
    uri: authorization.get('uri') ?? '',
    nonce: authorization.get('nonce') ?? '',
    algorithm: 'MD5',
    qop: 'auth',
    nc: authorization.get('nc') ?? '',
    cnonce: authorization.get('cnonce') ?? '',
  });
  return (
    authorization.get('username') === token.publicApiKey &&
    authorization.get('uri') === request.url &&
    authorization.get('response') === expected
  );
}

describe("the target client's answer to a stale nonce", () => {
  let server: Server;
  let mode: Mode = { staleAnswers: 0 };
  let seen: Seen[] = [];
  let minted = 0;
  let injected: InjectedFailure | undefined;
  let client: HttpTargetClient;
  let relay: SourceRelayClient;

  const challenge = (stale: boolean) => {
    minted += 1;
    return `Digest realm="MMS Public API", domain="", nonce="nonce${minted}", algorithm=MD5, qop="auth", stale=${stale}`;
  };
  const unauthorized = (stale: boolean) => ({
    status: 401,
    headers: { 'www-authenticate': challenge(stale), 'content-type': 'application/json' },
    body: JSON.stringify({ error: 401, errorCode: 'USER_UNAUTHORIZED', detail: NOT_AUTHORIZED, reason: 'Unauthorized' }),
  });

  before(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        const header = request.headers.authorization;
        const authorization = header === undefined ? undefined : fields(header);
        const verified = authorization !== undefined && verifies(request, authorization);
        seen.push({ method: request.method ?? '', nonce: authorization?.get('nonce'), verified, body });
        const answered = seen.filter((s) => s.nonce !== undefined).length;
        let reply: { status: number; headers: Record<string, string>; body: string };
        if (authorization === undefined) reply = unauthorized(false);
        else if (!verified || mode === 'wrong-key') reply = unauthorized(false);
        else if (mode === 'stale-then-hang') {
          if (answered > 1) return; // never answered: the call's own timeout ends it
          reply = unauthorized(true);
        } else if (answered <= mode.staleAnswers) reply = unauthorized(true);
        else if (request.url?.includes('/migrationHosts/') === true) {
          reply = { status: 200, headers: { 'content-type': 'application/json' }, body: '{"job":null}' };
        } else if (request.method === 'PUT') {
          reply = {
            status: 200,
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ sourceOrgId: SOURCE_ORG, pushedAt: 'now' }),
          };
        } else reply = { status: 204, headers: {}, body: '' };
        response.writeHead(reply.status, reply.headers).end(reply.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    client = new HttpTargetClient({
      baseUrl: () => `http://127.0.0.1:${port}`,
      connectTimeoutMs: 1000,
      totalTimeoutMs: 1000,
      maxResponseBytes: 4096,
      injectedFailure: () => Promise.resolve(injected),
    });
    relay = new SourceRelayClient({
      sourceUrl: `http://127.0.0.1:${port}`,
      groupId: 'cccccccccccccccccccccccc',
      hostname: 'host-1.example.com',
      publicKey: token.publicApiKey,
      privateKey: token.privateApiKey,
      timeoutMs: 1000,
    });
  });
  beforeEach(() => {
    seen = [];
    minted = 0;
    injected = undefined;
  });
  after(async () => {
    await client.close();
    await relay.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('answers a stale=true once more with the fresh nonce, sending the body again, and is accepted', async () => {
    mode = { staleAnswers: 1 };
    assert.deepEqual(await client.pushInventory(token, SOURCE_ORG, INVENTORY), { kind: 'accepted' });
    const inventory = JSON.stringify(INVENTORY);
    assert.deepEqual(seen, [
      { method: 'PUT', nonce: undefined, verified: false, body: '' },
      { method: 'PUT', nonce: 'nonce1', verified: true, body: inventory },
      { method: 'PUT', nonce: 'nonce2', verified: true, body: inventory },
    ]);
    mode = { staleAnswers: 1 };
    seen = [];
    assert.deepEqual(await client.forgetSource(token, SOURCE_ORG), { kind: 'accepted' });
    assert.deepEqual(
      seen.map((s) => [s.method, s.nonce, s.verified]),
      [
        ['DELETE', undefined, false],
        ['DELETE', 'nonce3', true],
        ['DELETE', 'nonce4', true],
      ],
    );
  });

  it('takes a second stale=true as the answer: exactly one retry, then refused 401', async () => {
    mode = { staleAnswers: Number.POSITIVE_INFINITY };
    assert.deepEqual(await client.pushInventory(token, SOURCE_ORG, INVENTORY), refused401(NOT_AUTHORIZED));
    assert.deepEqual(
      seen.map((s) => [s.nonce, s.verified]),
      [
        [undefined, false],
        ['nonce1', true],
        ['nonce2', true],
      ],
    );
  });

  it('does not retry a 401 without stale=true (a wrong key)', async () => {
    mode = 'wrong-key';
    assert.deepEqual(await client.forgetSource(token, SOURCE_ORG), refused401(NOT_AUTHORIZED));
    assert.deepEqual(
      seen.map((s) => s.nonce),
      [undefined, 'nonce1'],
    );
  });

  it('keeps the one timeout over the whole exchange: a retry left unanswered times the call out', async () => {
    mode = 'stale-then-hang';
    assert.deepEqual(await client.pushInventory(token, SOURCE_ORG, INVENTORY), { kind: 'timeout' });
    assert.deepEqual(
      seen.map((s) => s.nonce),
      [undefined, 'nonce1', 'nonce2'],
    );
  });

  it("plays the control API's injected answer on the authenticated request, which is then not retried", async () => {
    mode = { staleAnswers: 1 };
    injected = { kind: 'STATUS', status: 401, body: '{"errorCode":"USER_UNAUTHORIZED","detail":"revoked"}' };
    assert.deepEqual(await client.pushInventory(token, SOURCE_ORG, INVENTORY), refused401('revoked'));
    // The real challenge only: the injected answer stands for the target's, stale or not.
    assert.deepEqual(
      seen.map((s) => s.nonce),
      [undefined],
    );
  });

  it("answers a stale=true once more on a migration host's call to its source, and only once", async () => {
    mode = { staleAnswers: 1 };
    assert.deepEqual(await relay.job(), { ok: true, body: { job: null } });
    assert.deepEqual(
      seen.map((s) => [s.method, s.nonce, s.verified]),
      [
        ['GET', undefined, false],
        ['GET', 'nonce1', true],
        ['GET', 'nonce2', true],
      ],
    );
    mode = { staleAnswers: Number.POSITIVE_INFINITY };
    seen = [];
    const refused = await relay.job();
    assert.deepEqual([refused.ok, !refused.ok && refused.status], [false, 401]);
    assert.equal(seen.length, 3);
    mode = 'wrong-key';
    seen = [];
    assert.deepEqual((await relay.job()).ok, false);
    assert.equal(seen.length, 2);
  });
});
