/**
 * Real MongoDB wire-protocol servers for tests: SecantusDB instances (a one-member replica set each,
 * with change streams), on free loopback ports with fresh storage folders. scripts/install-test-servers.sh
 * installs SecantusDB into .test-servers/ (or LIVELINK_SECANTUS_BIN names a `secantusd-py`); without
 * it the suites that need servers are skipped, and say which command installs it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';

const PROJECT_BIN = new URL('../../.test-servers/secantus/bin/secantusd-py', import.meta.url).pathname;

export const SECANTUS_BIN: string | undefined = process.env['LIVELINK_SECANTUS_BIN'] ?? (existsSync(PROJECT_BIN) ? PROJECT_BIN : undefined);

export const MONGODB_SERVERS_SKIP_REASON: string | false =
  SECANTUS_BIN === undefined
    ? 'MongoDB test servers not installed: run scripts/install-test-servers.sh (or set LIVELINK_SECANTUS_BIN to a secantusd-py); .ci/run does'
    : false;

export interface MongoTestServer {
  /** A replica-set connection string, as a user gives one for a real deployment (a plain one for a standalone). */
  readonly url: string;
  readonly port: number;
  /** Stops the server (SIGTERM, then SIGKILL) and removes its storage folder. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 5_000;
/** The name SecantusDB gives its one-member replica set in `hello`. */
const REPLICA_SET_NAME = 'secantus';

/** Starts `count` servers side by side; if one fails to start, the others are stopped again. */
export async function startMongoServers(count: number): Promise<MongoTestServer[]> {
  const started = await Promise.allSettled(Array.from({ length: count }, () => startMongoServer()));
  const servers = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failure = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure !== undefined) {
    await Promise.all(servers.map((server) => server.stop()));
    throw failure.reason;
  }
  return servers;
}

export interface MongoServerOptions {
  /** Answer `hello` as a standalone (no replica-set name, so no change streams for drivers). */
  readonly standalone?: boolean;
}

export async function startMongoServer(options: MongoServerOptions = {}): Promise<MongoTestServer> {
  // Another process may take the free port between the probe and the server's bind: try again then.
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(options);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

async function startOnce(options: MongoServerOptions): Promise<MongoTestServer> {
  if (SECANTUS_BIN === undefined) throw new Error(String(MONGODB_SERVERS_SKIP_REASON));
  const folder = mkdtempSync(join(tmpdir(), 'livelink-mongodb-'));
  // An explicit (empty) configuration: without one the server would read a secantusd.toml from
  // the working folder or the home folder.
  const config = join(folder, 'secantusd.toml');
  writeFileSync(config, '');
  const port = await freePort();
  const child = spawn(
    SECANTUS_BIN,
    [
      ...[
        '--config',
        config,
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--storage-path',
        join(folder, 'data'),
        '--log-level',
        'WARNING',
      ],
      ...(options.standalone === true ? ['--standalone'] : []),
    ],
    { cwd: folder, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  // A test process that ends without stopping its servers must not leave them running.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const stop = async (): Promise<void> => {
    process.removeListener('exit', killOnExit);
    await stopProcess(child);
    rmSync(folder, { recursive: true, force: true });
  };
  try {
    await waitUntilHelloAnswers(port, child, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  const url = options.standalone === true ? `mongodb://127.0.0.1:${port}/` : `mongodb://127.0.0.1:${port}/?replicaSet=${REPLICA_SET_NAME}`;
  return { url, port, stop };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function waitUntilHelloAnswers(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`SecantusDB on port ${port} exited (${child.exitCode ?? child.signalCode}): ${output()}`);
    }
    const client = new MongoClient(`mongodb://127.0.0.1:${port}/?directConnection=true`, {
      serverSelectionTimeoutMS: 250,
      connectTimeoutMS: 250,
    });
    try {
      const hello = await client.db('admin').command({ hello: 1 });
      if (hello['isWritablePrimary'] === true) return;
    } catch {
      // Not listening yet.
    } finally {
      await client.close();
    }
    if (Date.now() > deadline)
      throw new Error(`SecantusDB on port ${port} did not answer hello within ${READY_TIMEOUT_MS} ms: ${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}
