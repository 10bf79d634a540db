/**
 * The rehearsal clock moved forward through the control API while real clients run against a started
 * livelink: nonces turn stale (Python requests gets stale=true and succeeds on its retry), web sessions
 * end, a migration ready for cutover expires, link-tokens (which do not expire, as in Atlas) go on
 * working; and a reset to real time.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { startLivelink, type RunningLivelink } from '../support/livelink-fixture.js';
import { liveMigration, linkedPair, readyForCutoverMigration, type LinkedPair } from '../support/linked-pair.js';
import { WebClient } from '../web/web-client.js';

const here = dirname(fileURLToPath(import.meta.url));
const HOUR = 3_600_000;

describe('the rehearsal clock, through real clients', () => {
  let server: RunningLivelink;
  let pair: LinkedPair;

  const advance = (ms: number) => server.livelink.services.clock.advance(ms);

  before(async () => {
    server = await startLivelink();
    pair = await linkedPair(server, 'Clock');
  });
  after(() => server.close());

  it('goes by real time until it is advanced, and back to real time on reset', async () => {
    const { clock } = server.livelink.services;
    assert.equal(clock.reading().offsetMs, 0);
    const advanced = await advance(2 * HOUR + 30 * 60_000);
    assert.equal(advanced.offsetMs, 9_000_000);
    assert.equal(advanced.offset, '2h30m');
    assert.equal(Date.parse(advanced.now) - Date.parse(advanced.realNow), 9_000_000);
    // What livelink stores goes by it: an API key made now is dated 2 h 30 min ahead.
    const { apiKey } = await server.livelink.services.apiKeys.create({
      orgId: pair.source.orgId,
      description: 'dated',
      roles: ['ORG_MEMBER'],
      accessList: [],
    });
    assert.ok(Date.parse(apiKey.createdAt) - Date.now() > 2 * HOUR, apiKey.createdAt);
    const reset = await clock.resetToRealTime();
    assert.equal(reset.offsetMs, 0);
    assert.equal(reset.now, reset.realNow);
  });

  it('turns a nonce stale: Python requests gets stale=true on its reused nonce and succeeds on its retry', async () => {
    const python = spawn(
      'python3',
      [join(here, 'requests_stale.py'), server.url, pair.source.orgId, pair.source.publicKey, pair.source.privateKey],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    const lines = createInterface({ input: python.stdout })[Symbol.asyncIterator]();
    const next = async () =>
      JSON.parse(String((await lines.next()).value)) as { status: number; body: string; history: { status: number; challenge: string }[] };
    const first = await next();
    assert.equal(first.status, 200);
    assert.equal(first.body, '{"status":"SYNCED"}');
    assert.deepEqual(
      first.history.map((h) => h.status),
      [401],
    );
    assert.match(first.history[0]?.challenge ?? '', /stale=false$/);
    // Past the nonce lifetime (300 s).
    await advance(301_000);
    python.stdin.write('go\n');
    const second = await next();
    assert.equal(second.status, 200, 'the retry with the new nonce succeeds');
    assert.equal(second.body, '{"status":"SYNCED"}');
    assert.equal(second.history.length, 1, 'one 401 on the way: the reused nonce');
    assert.match(
      second.history[0]?.challenge ?? '',
      /^Digest realm="MMS Public API", domain="", nonce="[0-9a-f]{60}", algorithm=MD5, qop="auth", stale=true$/,
    );
    const [code] = (await once(python, 'exit')) as [number];
    assert.equal(code, 0);
  });

  it('refuses the same stale nonce to any client with stale=true, and a fresh one succeeds', async () => {
    const client = pair.source.client;
    const path = `${pair.linkPath}/status`;
    const challenge = await client.send('GET', path, undefined, {});
    const nonce = /nonce="([^"]+)"/.exec(challenge.headers.get('www-authenticate') ?? '')?.[1] ?? '';
    assert.equal((await client.send('GET', path, undefined, { authorization: client.answer('GET', path, nonce) })).status, 200);
    await advance(301_000);
    const stale = await client.send('GET', path, undefined, { authorization: client.answer('GET', path, nonce) });
    assert.equal(stale.status, 401);
    assert.match(stale.headers.get('www-authenticate') ?? '', /stale=true$/);
    assert.equal((await client.request('GET', path)).status, 200);
  });

  it('ends a web session once it has been idle for 8 hours', async () => {
    await server.livelink.services.users.create({
      orgId: pair.source.orgId,
      username: 'clock-owner',
      role: 'ORG_OWNER',
      password: 'a long password',
    });
    const browser = new WebClient(server.url);
    assert.equal((await browser.login('clock-owner', 'a long password')).status, 303);
    const settings = `/orgs/${pair.source.orgId}/settings`;
    assert.equal((await browser.get(settings)).status, 200);
    await advance(7 * HOUR);
    assert.equal((await browser.get(settings)).status, 200, 'used within 8 hours: still signed in (and the end moves on)');
    await advance(8 * HOUR + 60_000);
    const ended = await browser.get(settings);
    assert.equal(ended.status, 303);
    assert.equal(ended.location, `/login?next=${encodeURIComponent(settings)}`);
  });

  it('expires a migration that was ready for cutover for 120 hours', async () => {
    const id = await readyForCutoverMigration(pair);
    await advance(119 * HOUR);
    assert.equal((await liveMigration(pair, id))['status'], 'WORKING');
    await advance(HOUR + 1000);
    const expired = await liveMigration(pair, id);
    assert.equal(expired['status'], 'EXPIRED');
    assert.equal(expired['readyForCutover'], false);
  });

  it('leaves link-tokens working however far it moves: they do not expire, in Atlas nor here', async () => {
    await advance(400 * 24 * HOUR);
    const relinked = await pair.source.client.request('POST', pair.linkPath, { linkToken: pair.linkToken });
    assert.equal(relinked.status, 201, relinked.text);
    assert.equal(relinked.text, '{"status":"SYNCED"}');
    const projects = await pair.atlas.client.request('GET', `/api/atlas/v2/orgs/${pair.atlas.orgId}/liveMigrations/availableProjects`);
    assert.equal(projects.status, 200, projects.text);
    await server.livelink.services.clock.resetToRealTime();
  });
});
