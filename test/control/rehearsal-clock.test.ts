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
import { cli } from '../cli/helpers.js';
import { startLivelink, type RunningLivelink } from '../support/livelink-fixture.js';
import { liveMigration, linkedPair, readyForCutoverMigration, type LinkedPair } from '../support/linked-pair.js';
import { WebClient } from '../web/web-client.js';

const here = dirname(fileURLToPath(import.meta.url));
const HOUR = 3_600_000;
const TOKEN = 'rehearsal-clock-token-0123456789';
const CLOCK = '/_livelink/control/v1/clock';

interface Reading {
  now: string;
  realNow: string;
  offsetMs: number;
  offset: string;
}

describe('the rehearsal clock, through real clients', () => {
  let server: RunningLivelink;
  let pair: LinkedPair;

  const control = async (method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, text: await response.text() };
  };
  /** The control call a rehearsal script makes: POST .../clock/advance {"duration": "..."}. */
  const advance = async (ms: number): Promise<Reading> => {
    const answer = await control('POST', `${CLOCK}/advance`, { duration: `${ms}ms` });
    assert.equal(answer.status, 200, answer.text);
    return JSON.parse(answer.text) as Reading;
  };

  before(async () => {
    server = await startLivelink({ 'control-token': TOKEN });
    pair = await linkedPair(server, 'Clock');
  });
  after(() => server.close());

  it('goes by real time until it is advanced, and back to real time on reset', async () => {
    const first = await control('GET', CLOCK);
    assert.equal(first.status, 200);
    const read = JSON.parse(first.text) as Reading;
    assert.deepEqual(Object.keys(read), ['now', 'offset', 'offsetMs', 'realNow']);
    assert.equal(read.offsetMs, 0);
    assert.equal(read.offset, '0s');
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
    const answer = await control('POST', `${CLOCK}/reset`);
    assert.equal(answer.status, 200);
    const reset = JSON.parse(answer.text) as Reading;
    assert.equal(reset.offsetMs, 0);
    assert.equal(server.livelink.clock.offsetMs, 0);
  });

  it('refuses a duration that is not one, or a move backwards, in the error format', async () => {
    for (const duration of ['-1h', '1.5h', 'soon', '']) {
      const answer = await control('POST', `${CLOCK}/advance`, { duration });
      assert.equal(answer.status, 400, duration);
      assert.equal((JSON.parse(answer.text) as { errorCode: string }).errorCode, 'INVALID_ATTRIBUTE');
    }
    const zero = await control('POST', `${CLOCK}/advance`, { duration: '0s' });
    assert.equal(
      zero.text,
      '{"detail":"Invalid attribute duration specified: the clock only moves forward, by 1ms or more","error":400,' +
        '"errorCode":"INVALID_ATTRIBUTE","parameters":["duration"],"reason":"Bad Request"}',
    );
    assert.equal((await control('POST', `${CLOCK}/advance`, { duration: '1h', extra: 1 })).status, 400);
    assert.equal((await control('POST', `${CLOCK}/advance`, { duration: '36501d' })).status, 400, 'beyond 100 years');
    assert.equal(server.livelink.clock.offsetMs, 0, 'nothing moved');
  });

  it('has CLI twins: clock, clock advance --by, clock reset', async () => {
    const env = { LIVELINK_CONTROL_TOKEN: TOKEN, LIVELINK_URL: server.url };
    assert.match((await cli(['control', 'clock'], env)).stdout, /^Clock at \d{4}-\d\d-\d\dT[\d:.]+Z \(real time\)\.\n$/);
    const advanced = await cli(['control', 'clock', 'advance', '--by', '1h30m', '--json'], env);
    assert.equal(advanced.code, 0, advanced.stderr);
    assert.equal((JSON.parse(advanced.stdout) as Reading).offsetMs, 5_400_000);
    assert.match((await cli(['control', 'clock'], env)).stdout, /, 1h30m ahead of real time\.\n$/);
    assert.deepEqual(await cli(['control', 'clock', 'advance', '--by', 'soon'], env), {
      code: 2,
      stdout: '',
      stderr:
        'livelink control clock advance: --by is a duration such as 301s, 121h or 1h30m (got "soon") (see livelink control clock advance --help)\n',
    });
    assert.match((await cli(['control', 'clock', 'reset'], env)).stdout, /\(real time\)\.\n$/);
    assert.equal(server.livelink.clock.offsetMs, 0);
  });

  it('turns a nonce stale: Python requests gets stale=true on its reused nonce and succeeds on its retry', async () => {
    const python = spawn(
      'python3',
      [join(here, 'requests_stale.py'), server.url, pair.source.orgId, pair.source.publicKey, pair.source.privateKey],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    try {
      const lines = createInterface({ input: python.stdout })[Symbol.asyncIterator]();
      const next = async () =>
        JSON.parse(String((await lines.next()).value)) as {
          status: number;
          body: string;
          history: { status: number; challenge: string }[];
        };
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
        /^Digest realm="MMS Public API", domain="", nonce="[0-9a-f]+", algorithm=MD5, qop="auth", stale=true$/,
      );
      const [code] = (await once(python, 'exit')) as [number];
      assert.equal(code, 0);
    } finally {
      // A failed assertion must not leave the script waiting on its stdin, and the test run with it.
      python.kill();
    }
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
    assert.equal((await control('POST', `${CLOCK}/reset`)).status, 200);
  });
});
