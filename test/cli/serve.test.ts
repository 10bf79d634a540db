import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runCli } from '../../src/cli/cli.js';
import { inFreshDataDirEachTest, testIo } from './helpers.js';

/** The signal listeners a test leaves behind would change how the test runner itself reacts to signals. */
function signalListeners(): [number, number] {
  return [process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')];
}

describe('livelink serve (in-process)', () => {
  let data = '';
  inFreshDataDirEachTest((dir) => {
    data = dir;
  });

  it('serves until SIGTERM, then resolves 0 and removes its signal handlers', async () => {
    const before = signalListeners();
    const io = testIo();
    const exit = runCli(['serve', '--port', '0', '--log-level', 'silent', '--data', data], io);
    const [line, url] = await io.stdout.waitFor(/^livelink listening on (http:\/\/127\.0\.0\.1:\d+) \(role both\)\n/);
    assert.equal(io.stdout.text, line);
    assert.deepEqual(signalListeners(), [before[0] + 1, before[1] + 1]);

    const response = await fetch(`${url}/health`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: 'OK' });

    process.emit('SIGTERM');
    assert.equal(await exit, 0);
    assert.deepEqual(signalListeners(), before);
    await assert.rejects(fetch(`${url}/health`), 'the server still answers after SIGTERM');
    assert.equal(
      io.stderr.text,
      `livelink: using generated local keys in ${data}/secrets.json; set LIVELINK_ENCRYPTION_KEY and LIVELINK_NONCE_KEY in production\n` +
        'livelink: SIGTERM received; finishing requests in flight, then stopping\n',
    );
  });

  it('serves one role, stops on SIGINT, and does not warn when the keys come from the environment', async () => {
    const before = signalListeners();
    const io = testIo({
      LIVELINK_ENCRYPTION_KEY: 'a'.repeat(64),
      LIVELINK_NONCE_KEY: 'b'.repeat(64),
      LIVELINK_LOG_LEVEL: 'silent',
    });
    const exit = runCli(['serve', '--role', 'target', '--port', '0', '--data', data], io);
    const [, url] = await io.stdout.waitFor(/^livelink listening on (http:\/\/127\.0\.0\.1:\d+) \(role target\)\n$/);
    assert.equal((await fetch(`${url}/health`)).status, 200);
    process.emit('SIGINT');
    assert.equal(await exit, 0);
    assert.deepEqual(signalListeners(), before);
    assert.equal(io.stderr.text, 'livelink: SIGINT received; finishing requests in flight, then stopping\n');
  });

  it('exits 1 naming the problem when the port is taken', async () => {
    const io = testIo();
    const first = runCli(['serve', '--port', '0', '--log-level', 'silent', '--data', data], io);
    const [, port] = await io.stdout.waitFor(/listening on http:\/\/127\.0\.0\.1:(\d+) /);
    const before = signalListeners();
    const secondIo = testIo();
    const second = await runCli(['serve', '--port', port ?? '', '--log-level', 'silent', '--data', join(data, 'second')], secondIo);
    assert.equal(second, 1);
    assert.equal(secondIo.stdout.text, '');
    assert.equal(secondIo.stderr.text, `livelink serve: listen EADDRINUSE: address already in use 127.0.0.1:${port}\n`);
    assert.deepEqual(signalListeners(), before);
    process.emit('SIGTERM');
    assert.equal(await first, 0);
  });
  // `start` is tested as a process, as npm start runs it, in start.test.ts.
});
