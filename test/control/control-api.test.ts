/**
 * The rehearsal control API's framework: its own prefix, its admin token (Bearer, compared in constant
 * time), loopback-only without one, the Ops Manager error format, and the CLI twin over real HTTP.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { cli } from '../cli/helpers.js';
import { startLivelink, type RunningLivelink } from '../support/livelink-fixture.js';

const TOKEN = 'rehearsal-control-token-0123456789';
const FAULTS = '/_livelink/control/v1/faults';
const NO_FAULTS = '{"results":[],"totalCount":0}';
const UNAUTHORIZED_BODY =
  '{"detail":"The control API needs Authorization: Bearer <control token> (--control-token).","error":401,' +
  '"errorCode":"CONTROL_UNAUTHORIZED","parameters":[],"reason":"Unauthorized"}';
const REMOTE = '203.0.113.7';

describe('the control API with a control token', () => {
  let server: RunningLivelink;
  // The test client is a trusted proxy, so X-Forwarded-For stands in for a caller on another machine.
  before(async () => {
    server = await startLivelink({ 'control-token': TOKEN, 'trusted-proxy': '127.0.0.1' });
  });
  after(() => server.close());

  const call = (method: string, path: string, headers: Record<string, string> = {}) => fetch(`${server.url}${path}`, { method, headers });

  it('lists the active faults for the token, from any address', async () => {
    for (const headers of [{}, { 'x-forwarded-for': REMOTE }] as Record<string, string>[]) {
      const response = await call('GET', FAULTS, { authorization: `Bearer ${TOKEN}`, ...headers });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), 'application/json');
      assert.equal(await response.text(), NO_FAULTS);
    }
  });

  it('clears the faults, and takes the wire flags of every answer', async () => {
    const cleared = await call('DELETE', `${FAULTS}?envelope=true`, { authorization: `bearer ${TOKEN}` });
    assert.equal(cleared.status, 200);
    assert.equal(await cleared.text(), '{"content":{"cleared":0},"status":200}');
  });

  it('refuses a missing, wrong or digest Authorization with 401 in the error format and a Bearer challenge', async () => {
    for (const authorization of [undefined, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(1)}`, 'Bearer', `Basic ${TOKEN}`]) {
      const response = await call('GET', FAULTS, authorization === undefined ? {} : { authorization });
      assert.equal(response.status, 401, String(authorization));
      assert.equal(response.headers.get('www-authenticate'), 'Bearer realm="livelink control"');
      assert.equal(await response.text(), UNAUTHORIZED_BODY);
    }
    // Not even the loopback caller is let in without the token once one is configured.
    const digest = await call('DELETE', FAULTS, { authorization: 'Digest username="x", realm="MMS Public API"' });
    assert.equal(digest.status, 401);
    assert.doesNotMatch(digest.headers.get('www-authenticate') ?? '', /Digest/);
  });

  it('answers an unknown control path 404 in the error format', async () => {
    const response = await call('GET', '/_livelink/control/v1/nothing-here', { authorization: `Bearer ${TOKEN}` });
    assert.equal(response.status, 404);
    assert.equal(
      await response.text(),
      '{"detail":"Cannot find resource /_livelink/control/v1/nothing-here.","error":404,"errorCode":"RESOURCE_NOT_FOUND","parameters":["/_livelink/control/v1/nothing-here"],"reason":"Not Found"}',
    );
  });

  it('has a CLI twin that calls the server over HTTP with --token or LIVELINK_CONTROL_TOKEN', async () => {
    assert.deepEqual(await cli(['control', 'list-faults', '--url', server.url, '--token', TOKEN, '--json']), {
      code: 0,
      stdout: '{\n  "results": [],\n  "totalCount": 0\n}\n',
      stderr: '',
    });
    assert.deepEqual(await cli(['control', 'list-faults', '--url', server.url], { LIVELINK_CONTROL_TOKEN: TOKEN }), {
      code: 0,
      stdout: 'No active faults.\n',
      stderr: '',
    });
    assert.deepEqual(await cli(['control', 'clear-faults'], { LIVELINK_CONTROL_TOKEN: TOKEN, LIVELINK_URL: server.url }), {
      code: 0,
      stdout: 'Cleared 0 faults.\n',
      stderr: '',
    });
    assert.deepEqual(await cli(['control', 'clear-faults', '--url', server.url, '--token', 'wrong-token-0123456789']), {
      code: 1,
      stdout: '',
      stderr: 'livelink control clear-faults: The control API needs Authorization: Bearer <control token> (--control-token).\n',
    });
  });
});

describe('the control API without a control token', () => {
  let server: RunningLivelink;
  before(async () => {
    server = await startLivelink({ 'trusted-proxy': '127.0.0.1' });
  });
  after(() => server.close());

  it('answers a caller on this machine', async () => {
    const response = await fetch(`${server.url}${FAULTS}`);
    assert.equal(response.status, 200);
    assert.equal(await response.text(), NO_FAULTS);
    assert.equal((await cli(['control', 'list-faults', '--url', server.url])).code, 0);
  });

  it('refuses a caller on another machine (the real client address, through the trusted proxy) with 403', async () => {
    const response = await fetch(`${server.url}${FAULTS}`, { headers: { 'x-forwarded-for': REMOTE, authorization: `Bearer ${TOKEN}` } });
    assert.equal(response.status, 403);
    assert.equal(response.headers.get('www-authenticate'), null);
    assert.equal(
      await response.text(),
      '{"detail":"The control API has no token configured (--control-token or LIVELINK_CONTROL_TOKEN), so it answers only calls from this machine, not from 203.0.113.7.",' +
        `"error":403,"errorCode":"CONTROL_LOOPBACK_ONLY","parameters":["${REMOTE}"],"reason":"Forbidden"}`,
    );
  });

  it('says when livelink cannot be reached', async () => {
    const url = await closedPortUrl();
    const result = await cli(['control', 'list-faults', '--url', url]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, new RegExp(`^livelink control list-faults: cannot reach livelink at ${url}: .*ECONNREFUSED`));
  });
});

describe('the control token in the configuration', () => {
  it('is read from --control-token or LIVELINK_CONTROL_TOKEN and must be 16 or more visible characters', () => {
    assert.equal(loadConfig({ flags: {}, env: {} }).controlToken, undefined);
    assert.equal(loadConfig({ flags: { 'control-token': TOKEN }, env: {} }).controlToken, TOKEN);
    assert.equal(loadConfig({ flags: {}, env: { LIVELINK_CONTROL_TOKEN: TOKEN } }).controlToken, TOKEN);
    for (const bad of ['short-token', 'with a space in it 0123456789']) {
      assert.throws(() => loadConfig({ flags: { 'control-token': bad }, env: {} }), {
        name: 'ConfigError',
        message: '--control-token must be at least 16 visible ASCII characters, without spaces',
      });
    }
  });
});

/** The URL of a port nothing listens on: one just freed. */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}`;
}
