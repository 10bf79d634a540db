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

describe('the live-migration controls, before any migration runs', () => {
  let server: RunningLivelink;
  before(async () => {
    server = await startLivelink({ 'control-token': TOKEN });
  });
  after(() => server.close());

  const UNKNOWN = '0123456789abcdef01234567';
  const call = async (path: string, body?: unknown, token = TOKEN) => {
    const response = await fetch(`${server.url}/_livelink/control/v1/liveMigrations/${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('answers an unknown migration 404 LIVE_MIGRATION_NOT_FOUND, on every control, its CLI twin too', async () => {
    const notFound = {
      status: 404,
      body: {
        detail: `No live migration with ID ${UNKNOWN} exists.`,
        error: 404,
        errorCode: 'LIVE_MIGRATION_NOT_FOUND',
        parameters: [UNKNOWN],
        reason: 'Not Found',
      },
    };
    assert.deepEqual(await call(`${UNKNOWN}/faults/failAtPhase`, { phase: 'TAIL', reason: 'x' }), notFound);
    assert.deepEqual(await call(`${UNKNOWN}/faults/holdLag`, { lagSeconds: 30 }), notFound);
    assert.deepEqual(await call(`${UNKNOWN}/readyForCutover`), notFound);
    assert.deepEqual(await call(`${UNKNOWN}/expire`), notFound);
    assert.deepEqual(await cli(['control', 'migration', 'expire', '--migration', UNKNOWN, '--url', server.url, '--token', TOKEN]), {
      code: 1,
      stdout: '',
      stderr: `livelink control migration expire: No live migration with ID ${UNKNOWN} exists.\n`,
    });
  });

  it('refuses a fault that is not well formed with 400 in the error format, and a CLI mistake with exit 2', async () => {
    for (const [path, body] of [
      ['faults/failAtPhase', { phase: 'LUNCH' }],
      ['faults/failAtPhase', { phase: 'COPY', reason: '' }],
      ['faults/failAtPhase', { phase: 'COPY', reason: 'r'.repeat(1001) }],
      ['faults/failAtPhase', { phase: 'COPY', lagSeconds: 3 }],
      ['faults/holdLag', { lagSeconds: -1 }],
      ['faults/holdLag', { lagSeconds: 1.5 }],
      ['faults/holdLag', { lagSeconds: 31_536_001 }],
    ] as const) {
      const refused = await call(`${UNKNOWN}/${path}`, body);
      assert.equal(refused.status, 400, JSON.stringify(body));
      assert.equal(refused.body['errorCode'], 'INVALID_ATTRIBUTE', JSON.stringify(refused.body));
    }
    const missing = await call(`${UNKNOWN}/faults/holdLag`, {});
    assert.deepEqual([missing.status, missing.body['errorCode']], [400, 'MISSING_ATTRIBUTE']);
    const cliEnv = { LIVELINK_CONTROL_TOKEN: TOKEN, LIVELINK_URL: server.url };
    for (const [args, message] of [
      [['--migration', UNKNOWN], 'give one of --fail-at and --hold-lag'],
      [['--migration', UNKNOWN, '--fail-at', 'copy', '--hold-lag', '3'], 'give one of --fail-at and --hold-lag'],
      [['--migration', UNKNOWN, '--fail-at', 'lunch'], '--fail-at must be one of copy, tail, cutover'],
      [['--migration', UNKNOWN, '--hold-lag', '3', '--reason', 'x'], '--reason goes with --fail-at'],
      [['--migration', 'nope', '--hold-lag', '3'], '--migration must be an id of 24 hex digits'],
    ] as const) {
      const result = await cli(['control', 'migration-fault', ...args], cliEnv);
      assert.equal(result.code, 2, args.join(' '));
      assert.match(result.stderr, new RegExp(message), args.join(' '));
    }
    assert.deepEqual(await call(`${UNKNOWN}/readyForCutover`, undefined, `${TOKEN}x`), {
      status: 401,
      body: JSON.parse(UNAUTHORIZED_BODY) as Record<string, unknown>,
    });
  });

  it('refuses a wrong token on every control route, whatever it does, before it acts', async () => {
    const document = server.livelink.openApiDocument() as {
      paths: Record<string, Record<string, { tags: string[] }>>;
    };
    const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([, operation]) => operation.tags.includes('Rehearsal controls'))
        .map(([method, operation]) => ({
          method: method.toUpperCase(),
          path: path.replace(/\{[A-Za-z]+Id\}/g, UNKNOWN).replace(/\{name\}/g, 'init'),
          operation,
        })),
    );
    assert.ok(
      operations.some((operation) => operation.path.includes('/liveMigrations/')),
      'the migration controls are listed',
    );
    for (const { method, path } of operations) {
      const response = await fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}x` } });
      assert.equal(response.status, 401, `${method} ${path}`);
      assert.equal(await response.text(), UNAUTHORIZED_BODY, `${method} ${path}`);
    }
  });

  it('serves the migration controls only on a process that serves the target', async () => {
    const sourceOnly = await startLivelink({ 'control-token': TOKEN, role: 'source', 'target-url': server.url });
    try {
      const response = await fetch(`${sourceOnly.url}/_livelink/control/v1/liveMigrations/${UNKNOWN}/expire`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      assert.equal(response.status, 404);
      assert.equal(((await response.json()) as { errorCode: string }).errorCode, 'RESOURCE_NOT_FOUND');
      const paths = Object.keys((sourceOnly.livelink.openApiDocument() as { paths: Record<string, unknown> }).paths);
      assert.ok(!paths.some((path) => path.includes('/control/v1/liveMigrations/')));
    } finally {
      await sourceOnly.close();
    }
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
