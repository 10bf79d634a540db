/**
 * The web pages on two livelink nodes sharing one PostgreSQL: a session made on one node works on the
 * other, its CSRF token too, and failed sign-ins alternating between the nodes are throttled as on one.
 * (On SQLite there is one node, so there is nothing to share.)
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startLivelink, type RunningLivelink } from '../support/livelink-fixture.js';
import { freshPostgresDatabase, POSTGRES_SKIP_REASON, type FreshPostgres } from '../support/postgres.js';
import { csrfOf, WebClient } from './web-client.js';

describe('web pages on two nodes of one PostgreSQL', { skip: POSTGRES_SKIP_REASON }, () => {
  let database: FreshPostgres;
  let a: RunningLivelink;
  let b: RunningLivelink;
  let orgId: string;
  const env = {
    LIVELINK_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    LIVELINK_NONCE_KEY: randomBytes(32).toString('base64'),
  };

  before(async () => {
    database = await freshPostgresDatabase();
    a = await startLivelink({ 'database-url': database.url, 'trusted-proxy': '127.0.0.1' }, env);
    b = await startLivelink({ 'database-url': database.url, 'trusted-proxy': '127.0.0.1' }, env);
    orgId = (await a.livelink.services.organizations.createOrganization('Atlas Org')).id;
    await a.livelink.services.users.create({ orgId, username: 'owner', role: 'ORG_OWNER', password: 'owner password' });
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await database?.drop();
  });

  it('serves on one node a session made on the other, and takes its CSRF token', async () => {
    const onA = new WebClient(a.url);
    assert.equal((await onA.login('owner', 'owner password')).status, 303);
    const onB = new WebClient(b.url);
    for (const [name, value] of onA.cookies) onB.cookies.set(name, value);
    const page = await onB.get(`/orgs/${orgId}/live-migration`);
    assert.equal(page.status, 200);
    const pageOnA = await onA.get(`/orgs/${orgId}/live-migration`);
    assert.equal(csrfOf(page.text), csrfOf(pageOnA.text));
    const generated = await onB.submit(pageOnA, `/orgs/${orgId}/live-migration/link-tokens`, { accessListIps: '127.0.0.1' });
    assert.equal(generated.status, 200);
    assert.match(generated.text, /Copy this link-token now/);
    assert.equal((await onA.submit(pageOnA, '/logout')).status, 303);
    assert.equal((await onB.get(`/orgs/${orgId}/live-migration`)).status, 303, 'signed out on A is signed out on B');
  });

  it('throttles failed sign-ins alternating between the nodes at the same count as on one', async () => {
    const address = { 'x-forwarded-for': '203.0.113.99' };
    const nodes = [new WebClient(a.url, address), new WebClient(b.url, address)];
    for (let i = 0; i < 5; i += 1) assert.equal((await nodes[i % 2]?.login('owner', 'wrong password'))?.status, 401);
    for (const node of nodes) assert.equal((await node.login('owner', 'owner password')).status, 429);
    assert.equal((await new WebClient(b.url, { 'x-forwarded-for': '203.0.113.100' }).login('owner', 'owner password')).status, 303);
  });
});
