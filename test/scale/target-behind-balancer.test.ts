/**
 * A source whose target is two livelink nodes on one PostgreSQL behind a round-robin balancer, so that
 * the digest challenge of every call and its answer land on different nodes. The nodes share the nonce
 * key and the replay claims, so a nonce minted by one is good on the other and is never stale for being
 * elsewhere; it is stale when it expired on the way (the clock moved past its lifetime) or when the
 * replay claims were lost, and then the source's one retry with the fresh nonce carries the call.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { startLivelink, type OrgWithKey, type RunningLivelink } from '../support/livelink-fixture.js';
import { freshPostgresDatabase, POSTGRES_SKIP_REASON, type FreshPostgres } from '../support/postgres.js';
import { waitFor } from '../support/wait-for.js';

const linkPath = (orgId: string) => `/api/public/v1.0/orgs/${orgId}/liveExport/migrationLink`;
/** Past the default nonce lifetime (300 s). */
const PAST_NONCE_LIFETIME_MS = 301_000;

/** One request the balancer passed on: to which node, answering which nonce, and what came back. */
interface Passed {
  node: number;
  method: string;
  answered: string | undefined;
  status: number;
  /** The nonce of the answer's challenge, when it has one. */
  challenged: string | undefined;
  stale: boolean;
}

const nonceIn = (header: string | string[] | undefined) => /nonce="([^"]+)"/.exec(String(header ?? ''))?.[1];

describe('a target of two nodes behind a round-robin balancer', { skip: POSTGRES_SKIP_REASON }, () => {
  let database: FreshPostgres;
  const nodes: RunningLivelink[] = [];
  let balancer: Server;
  let source: RunningLivelink;
  let atlas: OrgWithKey;
  let passed: Passed[] = [];
  let next = 0;
  /** When set, runs before an answer to a nonce that came with a first (not stale) challenge is passed on. */
  let beforeFirstAnswer: (() => Promise<void>) | undefined;
  const freshlyChallenged = new Set<string>();
  const env = {
    LIVELINK_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    LIVELINK_NONCE_KEY: randomBytes(32).toString('base64'),
  };

  const forward = (node: number, method: string, url: string, headers: IncomingHttpHeaders, body: Buffer) =>
    new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const target = new URL(url, nodes[node]?.url);
      const upstream = request(target, { method, headers: { ...headers, host: target.host } }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
        response.on('error', reject);
      });
      upstream.on('error', reject);
      upstream.end(body);
    });

  before(async () => {
    database = await freshPostgresDatabase();
    for (let i = 0; i < 2; i++) nodes.push(await startLivelink({ role: 'target', 'database-url': database.url }, env));
    balancer = createServer((incoming, outgoing) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => {
        void (async () => {
          const node = next++ % nodes.length;
          const answered = nonceIn(incoming.headers.authorization);
          if (answered !== undefined && freshlyChallenged.delete(answered)) await beforeFirstAnswer?.();
          const answer = await forward(node, incoming.method ?? 'GET', incoming.url ?? '/', incoming.headers, Buffer.concat(chunks));
          const challenged = nonceIn(answer.headers['www-authenticate']);
          const stale = /stale=true/.test(String(answer.headers['www-authenticate'] ?? ''));
          if (challenged !== undefined && !stale) freshlyChallenged.add(challenged);
          passed.push({ node, method: incoming.method ?? '', answered, status: answer.status, challenged, stale });
          outgoing.writeHead(answer.status, answer.headers).end(answer.body);
        })().catch(() => outgoing.writeHead(502).end());
      });
    });
    await new Promise<void>((resolve) => balancer.listen(0, '127.0.0.1', resolve));
    const balancerUrl = `http://127.0.0.1:${(balancer.address() as AddressInfo).port}`;
    // An interval of an hour: the inventory is pushed when it changes, and at no other time in the test.
    source = await startLivelink({ role: 'source', 'target-url': balancerUrl, 'sync-interval': '3600' });
    atlas = await nodes[0]!.organizationWithKey('Atlas Org');
  });
  after(async () => {
    await source?.close();
    await new Promise((resolve) => balancer?.close(resolve));
    for (const node of nodes) await node.close();
    await database?.drop();
  });

  /** Links a fresh source organization, syncs a change of its inventory, and unlinks it, through the balancer. */
  const linkSyncUnlink = async (name: string) => {
    const ops = await source.organizationWithKey(name);
    await source.livelink.services.organizations.createProject(ops.orgId, `${name} Project`);
    const created = await atlas.client.request('POST', `/api/atlas/v2/orgs/${atlas.orgId}/liveMigrations/linkTokens`, {
      accessListIps: [],
    });
    const { linkToken } = created.json() as { linkToken: string };
    const calls: Passed[][] = [];
    const record = () => {
      calls.push(passed);
      passed = [];
    };

    passed = [];
    const linked = await ops.client.request('POST', linkPath(ops.orgId), { linkToken });
    assert.equal(linked.status, 201, linked.text);
    record();
    // A new project is a new inventory: the sync loop pushes it within a tick.
    await source.livelink.services.organizations.createProject(ops.orgId, `${name} Second Project`);
    await waitFor(() => Promise.resolve(passed.some((p) => p.method === 'PUT' && p.status === 200)), 'the inventory push');
    record();
    const available = await atlas.client.request('GET', `/api/atlas/v2/orgs/${atlas.orgId}/liveMigrations/availableProjects`);
    assert.match(available.text, new RegExp(`${name} Second Project`));
    assert.equal((await ops.client.request('GET', `${linkPath(ops.orgId)}/status`)).text, '{"status":"SYNCED"}');
    const unlinked = await ops.client.request('DELETE', linkPath(ops.orgId));
    assert.equal(unlinked.status, 204);
    record();
    const afterUnlink = await atlas.client.request('GET', `/api/atlas/v2/orgs/${atlas.orgId}/liveMigrations/availableProjects`);
    assert.doesNotMatch(afterUnlink.text, new RegExp(name));
    return calls;
  };

  it('links, syncs and unlinks with every answer on the other node than its challenge, and no nonce stale', async () => {
    for (const call of await linkSyncUnlink('Plain Org')) {
      assert.deepEqual(
        call.map((p) => [p.status, p.stale]),
        [
          [401, false],
          [call[1]?.status, false],
        ],
      );
      assert.ok(call[1]!.status < 300, JSON.stringify(call));
      assert.notEqual(call[0]!.node, call[1]!.node);
      assert.equal(call[1]!.answered, call[0]!.challenged);
    }
  });

  it('answers once more, on the other node, a nonce that expired between the challenge and the answer', async () => {
    // The rehearsal clock moved on one node, and adopted by the other before the answer reaches it.
    beforeFirstAnswer = async () => {
      await nodes[0]!.livelink.services.clock.advance(PAST_NONCE_LIFETIME_MS);
      await nodes[1]!.livelink.services.clock.refresh();
    };
    try {
      for (const call of await linkSyncUnlink('Expiry Org')) {
        assert.deepEqual(
          call.map((p) => [p.status, p.stale]),
          [
            [401, false],
            [401, true],
            [call[2]?.status, false],
          ],
        );
        assert.ok(call[2]!.status < 300, JSON.stringify(call));
        assert.equal(call[1]!.answered, call[0]!.challenged);
        assert.equal(call[2]!.answered, call[1]!.challenged, 'the retry answers the stale challenge');
        assert.notEqual(call[1]!.node, call[2]!.node);
      }
    } finally {
      beforeFirstAnswer = undefined;
    }
  });

  it('answers once more a nonce whose replay claims PostgreSQL lost between the challenge and the answer', async () => {
    let losses = 0;
    // Crash recovery empties the unlogged claims table, as this TRUNCATE does (see two-nodes.test.ts): once,
    // between the link POST's challenge and its answer.
    beforeFirstAnswer = async () => {
      beforeFirstAnswer = undefined;
      losses++;
      await sql`truncate digest_nonce_claims`.execute(nodes[0]!.livelink.database.db);
    };
    const [link, ...later] = await linkSyncUnlink('Loss Org');
    assert.equal(losses, 1);
    assert.deepEqual(
      link?.map((p) => [p.status, p.stale]),
      [
        [401, false],
        [401, true],
        [200, false],
      ],
    );
    // A node that has not yet learned of the loss still mints in the lost epoch: a later call whose
    // challenge it made is stale once more, and still succeeds.
    for (const call of later) {
      assert.ok(call.at(-1)!.status < 300, JSON.stringify(call));
      assert.ok(call.length === 2 || (call.length === 3 && call[1]!.stale), JSON.stringify(call));
    }
  });
});
