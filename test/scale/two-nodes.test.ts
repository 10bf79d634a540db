/**
 * Two livelink nodes sharing one PostgreSQL: every guarantee holds across them.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { startLivelink, type RunningLivelink } from '../support/livelink-fixture.js';
import { freshPostgresDatabase, POSTGRES_SKIP_REASON, type FreshPostgres } from '../support/postgres.js';

const linkPath = (orgId: string) => `/api/public/v1.0/orgs/${orgId}/liveExport/migrationLink`;
const tokensPath = (orgId: string) => `/api/atlas/v2/orgs/${orgId}/liveMigrations/linkTokens`;

describe('two nodes on one PostgreSQL', { skip: POSTGRES_SKIP_REASON }, () => {
  let database: FreshPostgres;
  let a: RunningLivelink;
  let b: RunningLivelink;
  const env = {
    LIVELINK_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    LIVELINK_NONCE_KEY: randomBytes(32).toString('base64'),
  };

  before(async () => {
    database = await freshPostgresDatabase();
    a = await startLivelink({ 'database-url': database.url, 'sync-interval': '1' }, env);
    b = await startLivelink({ 'database-url': database.url, 'sync-interval': '1' }, env);
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await database?.drop();
  });

  it('runs the whole link flow with a client alternating between the nodes', async () => {
    const atlas = await a.organizationWithKey('Atlas Org');
    const ops = await b.organizationWithKey('Ops Org');
    await a.livelink.services.organizations.createProject(ops.orgId, 'Project A');
    const atlasOnB = b.client(atlas.publicKey, atlas.privateKey);
    const opsOnA = a.client(ops.publicKey, ops.privateKey);

    const created = await atlasOnB.request('POST', tokensPath(atlas.orgId), { accessListIps: [] });
    assert.equal(created.status, 201);
    const { linkToken } = created.json() as { linkToken: string };
    assert.equal((await opsOnA.request('POST', linkPath(ops.orgId), { linkToken })).status, 201);
    assert.equal((await ops.client.request('GET', `${linkPath(ops.orgId)}/status`)).text, '{"status":"SYNCED"}');
    const projects = await atlas.client.request('GET', `/api/atlas/v2/orgs/${atlas.orgId}/liveMigrations/availableProjects`);
    assert.deepEqual(
      (projects.json() as { name: string }[]).map((p) => p.name),
      ['Project A'],
    );
    assert.equal((await opsOnA.request('DELETE', linkPath(ops.orgId))).status, 204);
    assert.equal((await ops.client.request('GET', `${linkPath(ops.orgId)}/status`)).text, '{"status":"NOT_SYNCED"}');
    assert.equal((await atlasOnB.request('DELETE', tokensPath(atlas.orgId))).status, 204);
  });

  it('answers every status request sent after an unlink on the other node NOT_SYNCED, while status reads are in flight', async () => {
    const atlas = await a.organizationWithKey('Fresh Atlas Org');
    const ops = await a.organizationWithKey('Fresh Ops Org');
    const created = await atlas.client.request('POST', tokensPath(atlas.orgId), { accessListIps: [] });
    const { linkToken } = created.json() as { linkToken: string };
    assert.equal((await ops.client.request('POST', linkPath(ops.orgId), { linkToken })).status, 201);
    const statusPath = `${linkPath(ops.orgId)}/status`;
    const onB = () => b.client(ops.publicKey, ops.privateKey);
    assert.equal((await onB().request('GET', statusPath)).text, '{"status":"SYNCED"}');

    // Status reads keep going on B throughout, so that B's reads are batched with those in flight.
    let unlinked = false;
    const background = Array.from({ length: 8 }, async () => {
      const client = onB();
      while (!unlinked) assert.equal((await client.request('GET', statusPath)).status, 200);
    });
    assert.equal((await ops.client.request('DELETE', linkPath(ops.orgId))).status, 204);
    const after = await Promise.all(Array.from({ length: 16 }, async () => (await onB().request('GET', statusPath)).text));
    unlinked = true;
    await Promise.all(background);
    assert.deepEqual(new Set(after), new Set(['{"status":"NOT_SYNCED"}']));
  });

  it('applies a fault put in place on one node to the calls of both, counting its next N calls across them', async () => {
    const atlas = await a.organizationWithKey('Fault Atlas Org');
    const ops = await b.organizationWithKey('Fault Ops Org');
    const created = await atlas.client.request('POST', tokensPath(atlas.orgId), { accessListIps: [] });
    const { linkToken } = created.json() as { linkToken: string };
    // Neither node has a control token: a caller on this machine may use the control API.
    const injected = await fetch(`${a.url}/_livelink/control/v1/faults/targetCalls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ call: 'link', failure: 'UNREACHABLE', calls: 2 }),
    });
    assert.equal(injected.status, 201);
    const opsOnA = a.client(ops.publicKey, ops.privateKey);
    const answers = [];
    for (const client of [ops.client, opsOnA, ops.client]) {
      answers.push((await client.request('POST', linkPath(ops.orgId), { linkToken })).status);
    }
    assert.deepEqual(answers, [503, 503, 201]);
    assert.equal((await opsOnA.request('DELETE', linkPath(ops.orgId))).status, 204);
  });

  it('accepts on one node a nonce issued by the other', async () => {
    const org = await a.organizationWithKey('Nonce Org');
    const challenge = await fetch(`${a.url}${linkPath(org.orgId)}/status`);
    const nonce = /nonce="([^"]+)"/.exec(challenge.headers.get('www-authenticate') ?? '')?.[1] as string;
    const onB = b.client(org.publicKey, org.privateKey);
    const path = `${linkPath(org.orgId)}/status`;
    const response = await onB.send('GET', path, undefined, { authorization: onB.answer('GET', path, nonce) });
    assert.equal(response.status, 200);
  });

  it('refuses on the other node an Authorization header already used on one', async () => {
    const org = await a.organizationWithKey('Replay Org');
    const path = `${linkPath(org.orgId)}/status`;
    assert.equal((await org.client.request('GET', path)).status, 200);
    const captured = org.client.sent.at(-1)?.authorization as string;
    const replay = await b.client(org.publicKey, org.privateKey).send('GET', path, undefined, { authorization: captured });
    assert.equal(replay.status, 401);
  });

  it('answers a nonce on the node that first accepted it, and stale=true on the other, which a client retries', async () => {
    const org = await a.organizationWithKey('Owner Org');
    const path = `${linkPath(org.orgId)}/status`;
    const onA = a.client(org.publicKey, org.privateKey);
    const challenge = await fetch(`${a.url}${path}`);
    const nonce = /nonce="([^"]+)"/.exec(challenge.headers.get('www-authenticate') ?? '')?.[1] as string;
    assert.equal((await onA.send('GET', path, undefined, { authorization: onA.answer('GET', path, nonce) })).status, 200);
    assert.equal(
      (await onA.send('GET', path, undefined, { authorization: onA.answer('GET', path, nonce) })).status,
      200,
      'nc 2 on its owner',
    );
    const elsewhere = await onA
      .send('GET', path, undefined, { authorization: onA.answer('GET', path, nonce) })
      .then(() => b.client(org.publicKey, org.privateKey).send('GET', path, undefined, { authorization: onA.answer('GET', path, nonce) }));
    assert.equal(elsewhere.status, 401);
    assert.match(elsewhere.headers.get('www-authenticate') ?? '', /stale=true$/);
    const retried = b.client(org.publicKey, org.privateKey, { mode: 'reuse-nonce' });
    assert.equal((await retried.request('GET', path)).status, 200);
  });

  it('refuses on both nodes a header answered before PostgreSQL lost the unlogged claims, and serves fresh nonces after', async () => {
    const org = await a.organizationWithKey('Loss Org');
    const path = `${linkPath(org.orgId)}/status`;
    assert.equal((await org.client.request('GET', path)).status, 200);
    const captured = org.client.sent.at(-1)?.authorization as string;
    // Crash recovery resets an unlogged table to its empty init fork: for every reader after it, the same
    // as this TRUNCATE (the kill -9 harness's PostgreSQL cycle does the real crash).
    await sql`truncate digest_nonce_claims`.execute(a.livelink.database.db);
    const onB = await b.client(org.publicKey, org.privateKey).send('GET', path, undefined, { authorization: captured });
    assert.equal(onB.status, 401);
    assert.match(onB.headers.get('www-authenticate') ?? '', /stale=true$/, 'the claims are gone: refused by the lost epoch');
    const onA = await a.client(org.publicKey, org.privateKey).send('GET', path, undefined, { authorization: captured });
    assert.equal(onA.status, 401, 'refused by the memory of the node that answered it');
    // A node learns of the loss at its first claim in the lost epoch: a nonce it minted until then is
    // stale once, and the retry with the nonce of that challenge succeeds.
    for (const node of [a, b]) {
      const client = node.client(org.publicKey, org.privateKey);
      const first = await client.request('GET', path);
      if (first.status !== 200) {
        assert.equal(first.status, 401);
        assert.match(first.headers.get('www-authenticate') ?? '', /stale=true$/);
        assert.equal((await client.request('GET', path)).status, 200);
      }
    }
  });

  it('ends 50 concurrent POSTs for one organization spread over both nodes with exactly one link and no 5xx', async () => {
    const atlas = await a.organizationWithKey('Race Atlas');
    const ops = await a.organizationWithKey('Race Ops');
    const { linkToken } = (await atlas.client.request('POST', tokensPath(atlas.orgId), {})).json() as { linkToken: string };
    const statuses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        (i % 2 === 0 ? a : b).client(ops.publicKey, ops.privateKey).request('POST', linkPath(ops.orgId), { linkToken }),
      ),
    ).then((responses) => responses.map((r) => r.status));
    assert.ok(
      statuses.every((s) => s === 201 || s === 409),
      JSON.stringify(statuses),
    );
    assert.ok(statuses.includes(201));
    const rows = await a.livelink.database.db.selectFrom('migration_links').selectAll().where('org_id', '=', ops.orgId).execute();
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.state, 'LINKED');
    const created = await a.livelink.database.db
      .selectFrom('audit_events')
      .select('id')
      .where('org_id', '=', ops.orgId)
      .where('event_type', '=', 'ORG_LINK_CREATED')
      .execute();
    assert.equal(created.length, 1);
  });

  it('lets exactly one node hold the sync lease, and the other take it over when it goes', async () => {
    const holders = async (via: RunningLivelink = b) => {
      const row = await via.livelink.database.db.selectFrom('leases').select('holder').where('name', '=', 'sync').executeTakeFirst();
      return row?.holder;
    };
    const deadline = Date.now() + 10_000;
    let holder = await holders();
    while (holder === undefined && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      holder = await holders();
    }
    assert.ok(holder === a.livelink.nodeId || holder === b.livelink.nodeId, String(holder));
    const [leaving, staying] = holder === a.livelink.nodeId ? [a, b] : [b, a];
    await leaving.livelink.close();
    while ((await holders(staying)) !== staying.livelink.nodeId && Date.now() < deadline + 10_000) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.equal(await holders(staying), staying.livelink.nodeId);
  });
});
