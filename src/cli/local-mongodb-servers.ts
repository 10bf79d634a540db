/**
 * Local MongoDB wire-protocol servers as child processes: SecantusDB instances (a WiredTiger-based server
 * that answers `hello` as a one-member replica set and serves change streams), each on a loopback port
 * with its storage in a folder of its own. `livelink start` runs two for its demo (the source deployment
 * and the destination cluster); the tests start theirs with the same functions (test/support/mongodb-servers.ts).
 * scripts/install-test-servers.sh installs SecantusDB into .test-servers/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { loadMongoDriver } from '../shared/connection-string.js';

/** Where scripts/install-test-servers.sh puts the binary, from the repository's root. */
export const PROJECT_SECANTUS_BIN = '.test-servers/secantus/bin/secantusd-py';
export const SECANTUS_BIN_ENV = 'LIVELINK_SECANTUS_BIN';
export const INSTALL_SECANTUS_COMMAND = 'bash scripts/install-test-servers.sh';
/** The name SecantusDB gives its one-member replica set in `hello`. */
export const SECANTUS_REPLICA_SET = 'secantus';

const READY_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 5_000;

/** The `secantusd-py` to run: the variable's, else the one installed under `root`; undefined when neither. */
export function findSecantus(env: Readonly<Record<string, string | undefined>>, root: string): string | undefined {
  const named = env[SECANTUS_BIN_ENV];
  if (named !== undefined && named !== '') return resolve(named);
  const installed = resolve(root, PROJECT_SECANTUS_BIN);
  return existsSync(installed) ? installed : undefined;
}

export interface LocalMongoServer {
  /** A replica-set connection string, as a user gives one for a real deployment (a plain one for a standalone). */
  readonly url: string;
  readonly port: number;
  /** Stops the server (SIGTERM, then SIGKILL after a grace period); its storage is left as it is. */
  stop(): Promise<void>;
}

export interface LocalMongoServerOptions {
  /** The `secantusd-py` binary. */
  readonly bin: string;
  /** Holds the server's configuration and its storage (`data/`); created when missing. */
  readonly folder: string;
  /** Tried first (a server started again keeps its port when it is free); else any free port. */
  readonly preferredPort?: number;
  /** Answer `hello` as a standalone (no replica-set name, so no change streams for drivers). */
  readonly standalone?: boolean;
  /**
   * Require SCRAM-SHA-256 authentication and enforce the users' roles (`--auth`). SecantusDB has no
   * localhost exception: users are created on a start without it, in the same folder.
   */
  readonly auth?: boolean;
}

/** Starts one server and resolves once it answers `hello` as a writable primary. */
export async function startLocalMongoServer(options: LocalMongoServerOptions): Promise<LocalMongoServer> {
  // Another process may take the free port between the probe and the server's bind: try again then.
  let lastError: unknown;
  let preferred = options.preferredPort;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(options, preferred);
    } catch (error) {
      lastError = error;
      preferred = undefined;
    }
  }
  throw lastError;
}

async function startOnce(options: LocalMongoServerOptions, preferredPort: number | undefined): Promise<LocalMongoServer> {
  mkdirSync(options.folder, { recursive: true, mode: 0o700 });
  // An explicit (empty) configuration: without one the server would read a secantusd.toml from the
  // working folder or the home folder.
  const config = join(options.folder, 'secantusd.toml');
  if (!existsSync(config)) writeFileSync(config, '');
  const port = (preferredPort !== undefined && (await portIsFree(preferredPort)) ? preferredPort : undefined) ?? (await freePort());
  const args = ['--config', config, '--host', '127.0.0.1', '--port', String(port), '--storage-path', join(options.folder, 'data')];
  const child = spawn(
    options.bin,
    [
      ...args,
      '--log-level',
      'WARNING',
      ...(options.standalone === true ? ['--standalone'] : []),
      ...(options.auth === true ? ['--auth'] : []),
    ],
    {
      cwd: options.folder,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const spawnError = new Promise<never>((_, reject) => child.once('error', reject));
  // A process that ends without stopping its servers must not leave them running.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const stop = async (): Promise<void> => {
    process.removeListener('exit', killOnExit);
    await stopProcess(child);
  };
  try {
    await Promise.race([waitUntilHelloAnswers(port, child, () => output), spawnError]);
  } catch (error) {
    await stop();
    throw error;
  }
  const url =
    options.standalone === true ? `mongodb://127.0.0.1:${port}/` : `mongodb://127.0.0.1:${port}/?replicaSet=${SECANTUS_REPLICA_SET}`;
  return { url, port, stop };
}

/** A port no one listens on at the moment of asking, on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address !== null ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolveFree) => {
    const probe = createServer();
    probe.once('error', () => resolveFree(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolveFree(true)));
  });
}

/** Asks `hello` every 100 ms until the server is a writable primary; fails if it exits or after 20 s. */
export async function waitUntilHelloAnswers(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const { MongoClient } = await loadMongoDriver();
  // Real time: how long a child process is given to start.
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
    await new Promise((wake) => setTimeout(wake, 100));
  }
}

/** SIGTERM, then SIGKILL after a grace period; resolves once the process has exited. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

/** The port a server kept in `folder` last listened on, so a restarted demo keeps its connection strings. */
export function rememberedPort(folder: string): number | undefined {
  try {
    const port = Number(readFileSync(join(folder, 'port'), 'utf8').trim());
    return Number.isInteger(port) && port > 0 && port < 65536 ? port : undefined;
  } catch {
    return undefined;
  }
}

export function rememberPort(folder: string, port: number): void {
  writeFileSync(join(folder, 'port'), `${port}\n`);
}
