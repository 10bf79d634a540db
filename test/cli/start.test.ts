/**
 * `livelink start` as a real process, as `npm start` runs it: without a MongoDB server it serves the link
 * flow and says how to attach one; with SecantusDB it starts two servers, wires the demo deployment and a
 * destination cluster to them, runs the demo migration host as a child, and the rehearsal it prints
 * (pasted as is into a shell) migrates the seeded documents.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MongoClient } from 'mongodb';
import type { Deployment } from '../../src/features/organizations/organization.js';
import { MONGODB_SERVERS_SKIP_REASON, SECANTUS_BIN } from '../support/mongodb-servers.js';
import { cliJson } from './helpers.js';

const run = promisify(execFile);
const hasCurl = spawnSync('curl', ['--version']).status === 0;
/** The CLI from the sources, in a process of its own (as bin/livelink.js runs the bundle). */
const ENTRY = new URL('../migration/migration-host-cli.ts', import.meta.url).pathname;
const TSX = new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;

interface DemoFile {
  source: { orgId: string; publicKey: string; privateKey: string };
  target: { orgId: string; publicKey: string; privateKey: string };
  atlasProject: { projectId: string };
  migrationHost: { projectId: string; hostname: string };
}

interface StartedProcess {
  child: ChildProcess;
  output(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** SIGTERM, as Ctrl-C or an operator stops it; resolves with the exit code. */
  stop(): Promise<number | null>;
}

function startProcess(args: readonly string[], options: { cwd: string; env?: Record<string, string> }): StartedProcess {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('LIVELINK_')));
  const child = spawn(process.execPath, ['--import', TSX, ENTRY, 'start', ...args], {
    cwd: options.cwd,
    env: { ...env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => stdout,
    waitFor: (pattern, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const deadline = Date.now() + timeoutMs;
        const check = (): void => {
          const match = pattern.exec(stdout);
          if (match !== null) return resolve(match);
          if (child.exitCode !== null) return reject(new Error(`start exited (${child.exitCode}): ${stdout}${stderr}`));
          if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${pattern}: ${stdout}${stderr}`));
          setTimeout(check, 50);
        };
        check();
      }),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Runs a printed command as a user pastes it, adding only -s and the status code to curl's output. */
async function paste(command: string): Promise<{ status: string; body: string }> {
  const { stdout } = await run('sh', ['-c', `${command} -s -w '\\n%{http_code}'`]);
  const cut = stdout.lastIndexOf('\n');
  return { body: stdout.slice(0, cut), status: stdout.slice(cut + 1) };
}

/** Pastes `command` until `done` holds of its answer (every 200 ms, at most `timeoutMs`). */
async function pasteUntil(command: string, done: (body: Record<string, unknown>) => boolean, what: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await paste(command);
    assert.equal(answer.status, '200', answer.body);
    const body = JSON.parse(answer.body) as Record<string, unknown>;
    if (done(body)) return body;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last answer ${answer.body}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function curlsOf(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('   curl '))
    .map((line) => line.slice(3));
}

describe('livelink start (a process, as npm start runs it)', { skip: hasCurl ? false : 'curl is not installed' }, () => {
  it('without a MongoDB server: serves the link flow, whose curl commands work, and says how to attach one', async () => {
    // A working folder without .test-servers/ and no LIVELINK_SECANTUS_BIN: nothing is installed.
    const cwd = mkdtempSync(join(tmpdir(), 'livelink-start-'));
    const data = join(cwd, 'data');
    const started = startProcess(['--port', '0', '--log-level', 'silent', '--data', data], { cwd });
    try {
      await started.waitFor(/Stop with Ctrl-C\.\n$/);
      const text = started.output();
      const demo = JSON.parse(readFileSync(join(data, 'demo-credentials.json'), 'utf8')) as DemoFile;
      const url = /^livelink listening on (http:\/\/127\.0\.0\.1:\d+) \(role both\)\n\n/.exec(text)?.[1] ?? '';
      assert.notEqual(url, '');
      const source = `${demo.source.publicKey}:${demo.source.privateKey}`;
      const target = `${demo.target.publicKey}:${demo.target.privateKey}`;
      const lines = text.split('\n');
      assert.ok(lines.includes(`  source  Demo Ops Manager Organization  ${demo.source.orgId}  key ${source}`), text);
      assert.ok(lines.includes(`  target  Demo Atlas Organization        ${demo.target.orgId}  key ${target}`), text);
      // The how-to: the one line that installs SecantusDB, and the flags that attach servers of one's own.
      assert.ok(lines.includes('  bash scripts/install-test-servers.sh'), text);
      assert.ok(
        lines.includes(
          "  npm start -- --source-mongodb 'mongodb://127.0.0.1:27017/?replicaSet=rs0' --destination-mongodb 'mongodb://127.0.0.1:27018/?replicaSet=rs1'",
        ),
        text,
      );
      assert.doesNotMatch(text, /liveMigrations\/validate/);
      const curls = curlsOf(text);
      assert.deepEqual(curls.slice(0, 3), [
        `curl --digest --user "${target}" -H 'Content-Type: application/json' -H 'Accept: application/json' -X POST --data '{"accessListIps":[]}' "${url}/api/atlas/v2/orgs/${demo.target.orgId}/liveMigrations/linkTokens"`,
        `curl --digest --user "${source}" -H 'Content-Type: application/json' -H 'Accept: application/json' -X POST --data '{"linkToken":"<paste the linkToken here>"}' "${url}/api/public/v1.0/orgs/${demo.source.orgId}/liveExport/migrationLink"`,
        `curl --digest --user "${source}" "${url}/api/public/v1.0/orgs/${demo.source.orgId}/liveExport/migrationLink/status?pretty=true"`,
      ]);
      assert.equal(curls.length, 5);

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
      assert.equal(await started.stop(), 0);
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it(
    'with SecantusDB: wires the demo to two servers it starts, and the printed rehearsal migrates the seeded documents',
    { skip: MONGODB_SERVERS_SKIP_REASON, timeout: 60_000 },
    async () => {
      const cwd = mkdtempSync(join(tmpdir(), 'livelink-start-'));
      const data = join(cwd, 'data');
      const started = startProcess(['--port', '0', '--log-level', 'silent', '--data', data], {
        cwd,
        env: { LIVELINK_SECANTUS_BIN: SECANTUS_BIN ?? '' },
      });
      let ports: number[] = [];
      try {
        await started.waitFor(/Stop with Ctrl-C\.\n$/);
        const text = started.output();
        const demo = JSON.parse(readFileSync(join(data, 'demo-credentials.json'), 'utf8')) as DemoFile;
        const sourceUri = /^ {2}source {7}rs-demo of Demo Project \w+ {2}(\S+)$/m.exec(text)?.[1] ?? '';
        const destinationUri = /^ {2}destination {2}Cluster0 of Demo Atlas Project \w+ {2}(\S+)$/m.exec(text)?.[1] ?? '';
        assert.match(sourceUri, /^mongodb:\/\/127\.0\.0\.1:\d+\/\?replicaSet=secantus$/, text);
        assert.match(destinationUri, /^mongodb:\/\/127\.0\.0\.1:\d+\/\?replicaSet=secantus$/, text);
        ports = [sourceUri, destinationUri].map((uri) => Number(/:(\d+)\//.exec(uri)?.[1]));

        // The deployment has the source's connection string, the Atlas project a cluster at the destination.
        const deployments = await cliJson<(Deployment & { connectionString: string | null })[]>([
          'deployment',
          'list',
          '--project',
          demo.migrationHost.projectId,
          '--data',
          data,
        ]);
        assert.deepEqual(
          deployments.map((d) => [d.name, d.connectionString]),
          [['rs-demo', sourceUri]],
        );
        const clusters = await cliJson<{ name: string; connectionString: string }[]>([
          'cluster',
          'list',
          '--project',
          demo.atlasProject.projectId,
          '--data',
          data,
        ]);
        assert.deepEqual(
          clusters.map((c) => [c.name, c.connectionString]),
          [['Cluster0', destinationUri]],
        );

        const curls = curlsOf(text);
        assert.equal(curls.length, 10, text);
        const [tokenCurl, linkCurl, , , validate, validation, create, migration, cutover] = curls;
        const token = await paste(tokenCurl ?? '');
        const linkToken = (JSON.parse(token.body) as { linkToken: string }).linkToken;
        assert.equal((await paste((linkCurl ?? '').replace('<paste the linkToken here>', linkToken))).status, '201');

        // The host polls its source every second; once linked, its heartbeat reaches the target, and the
        // validation goes beyond "has not contacted livelink": the host checks both servers.
        let validated: Record<string, unknown> | undefined;
        const deadline = Date.now() + 10_000;
        while (validated === undefined) {
          const answer = await paste(validate ?? '');
          assert.equal(answer.status, '200', answer.body);
          const id = (JSON.parse(answer.body) as { _id: string })._id;
          const ended = await pasteUntil(
            (validation ?? '').replace('<validationId>', id),
            (body) => body['status'] !== 'PENDING',
            'the validation',
          );
          if (ended['status'] === 'SUCCESS') validated = ended;
          else if (!String(ended['errorMessage']).includes('has not contacted livelink') || Date.now() > deadline)
            assert.fail(`validation ${JSON.stringify(ended)}`);
          else await new Promise((resolve) => setTimeout(resolve, 300));
        }
        assert.equal(validated['errorMessage'] ?? null, null);

        const created = await paste(create ?? '');
        assert.equal(created.status, '201', created.body);
        const migrationId = (JSON.parse(created.body) as { _id: string })._id;
        const describe = (migration ?? '').replaceAll('<liveMigrationId>', migrationId);
        await pasteUntil(describe, (body) => body['readyForCutover'] === true, 'readyForCutover');
        assert.equal((await paste((cutover ?? '').replaceAll('<liveMigrationId>', migrationId))).status, '202');
        assert.equal((await pasteUntil(describe, (body) => body['status'] === 'COMPLETE', 'COMPLETE'))['status'], 'COMPLETE');

        const client = new MongoClient(destinationUri, { serverSelectionTimeoutMS: 5000 });
        try {
          const copied = await client.db('livelink_demo').collection('customers').find().sort({ _id: 1 }).toArray();
          assert.deepEqual(
            copied.map((d) => d['name'] as unknown),
            ['Ada Lovelace', 'Grace Hopper', 'Katherine Johnson', 'Margaret Hamilton', 'Radia Perlman'],
          );
        } finally {
          await client.close();
        }
      } finally {
        assert.equal(await started.stop(), 0);
      }
      // Stopping livelink stopped the servers it started.
      for (const port of ports) assert.equal(await portAnswers(port), false, `port ${port} still answers`);
      rmSync(cwd, { recursive: true, force: true });
    },
  );
});
