import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runCli } from '../../src/cli/cli.js';
import { inFreshDataDirEachTest, testIo } from './helpers.js';

const run = promisify(execFile);
const hasCurl = spawnSync('curl', ['--version']).status === 0;

/** The signal listeners a test leaves behind would change how the test runner itself reacts to signals. */
function signalListeners(): [number, number] {
  return [process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')];
}

describe('livelink serve and start (in-process)', () => {
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

  it(
    'start sets up the demo, serves both roles and prints a banner whose curl commands work',
    { skip: hasCurl ? false : 'curl is not installed' },
    async () => {
      const before = signalListeners();
      const io = testIo();
      const exit = runCli(['start', '--port', '0', '--log-level', 'silent', '--data', data], io);
      try {
        await io.stdout.waitFor(/Stop with Ctrl-C\.\n$/);
        const demo = JSON.parse(readFileSync(join(data, 'demo-credentials.json'), 'utf8')) as {
          source: { orgId: string; publicKey: string; privateKey: string };
          target: { orgId: string; publicKey: string; privateKey: string };
        };
        const url = /^livelink listening on (http:\/\/127\.0\.0\.1:\d+) \(role both\)\n\n/.exec(io.stdout.text)?.[1] ?? '';
        assert.notEqual(url, '');
        const source = `${demo.source.publicKey}:${demo.source.privateKey}`;
        const target = `${demo.target.publicKey}:${demo.target.privateKey}`;
        const lines = io.stdout.text.split('\n');
        assert.ok(lines.includes(`  source  Demo Ops Manager Organization  ${demo.source.orgId}  key ${source}`), io.stdout.text);
        assert.ok(lines.includes(`  target  Demo Atlas Organization        ${demo.target.orgId}  key ${target}`), io.stdout.text);
        const curls = lines.filter((l) => l.startsWith('   curl ')).map((l) => l.slice(3));
        assert.deepEqual(curls.slice(0, 3), [
          `curl --digest --user "${target}" -H 'Content-Type: application/json' -H 'Accept: application/json' -X POST --data '{"accessListIps":[]}' "${url}/api/atlas/v2/orgs/${demo.target.orgId}/liveMigrations/linkTokens"`,
          `curl --digest --user "${source}" -H 'Content-Type: application/json' -H 'Accept: application/json' -X POST --data '{"linkToken":"<paste the linkToken here>"}' "${url}/api/public/v1.0/orgs/${demo.source.orgId}/liveExport/migrationLink"`,
          `curl --digest --user "${source}" "${url}/api/public/v1.0/orgs/${demo.source.orgId}/liveExport/migrationLink/status?pretty=true"`,
        ]);
        assert.equal(curls.length, 5);

        // Run the flow as a user would paste it, only adding -s and the status code to curl's output.
        const paste = async (command: string): Promise<{ status: string; body: string }> => {
          const { stdout } = await run('sh', ['-c', `${command} -s -w '\\n%{http_code}'`]);
          const cut = stdout.lastIndexOf('\n');
          return { body: stdout.slice(0, cut), status: stdout.slice(cut + 1) };
        };
        const token = await paste(curls[0] ?? '');
        assert.equal(token.status, '201', token.body);
        const linkToken = (JSON.parse(token.body) as { linkToken: string }).linkToken;
        const link = await paste((curls[1] ?? '').replace('<paste the linkToken here>', linkToken));
        assert.deepEqual(link, { status: '201', body: '{"status":"SYNCED"}' });
        assert.deepEqual(await paste(curls[2] ?? ''), { status: '200', body: '{\n  "status" : "SYNCED"\n}' });
        const projects = await paste(curls[3] ?? '');
        assert.equal(projects.status, '200');
        const available = JSON.parse(projects.body) as { name: string; deployments: { name: string }[]; migrationHosts: string[] }[];
        assert.deepEqual(
          available.map((p) => [p.name, p.deployments.map((d) => d.name), p.migrationHosts]),
          [['Demo Project', ['rs-demo'], ['migration-host-1.example.internal']]],
        );
        assert.deepEqual(await paste(curls[4] ?? ''), { status: '204', body: '' });
        assert.deepEqual(await paste(curls[2] ?? ''), { status: '200', body: '{\n  "status" : "NOT_SYNCED"\n}' });
      } finally {
        process.emit('SIGTERM');
        assert.equal(await exit, 0);
      }
      assert.deepEqual(signalListeners(), before);
    },
  );
});
