/**
 * Real MongoDB wire-protocol servers for tests: SecantusDB instances (a one-member replica set each,
 * with change streams), on free loopback ports with fresh storage folders, started and stopped by
 * src/cli/local-mongodb-servers.ts (what `livelink start` runs its demo servers with).
 * scripts/install-test-servers.sh installs SecantusDB into .test-servers/ (or LIVELINK_SECANTUS_BIN names
 * a `secantusd-py`); without it the suites that need servers are skipped, and say which command installs it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { findSecantus, startLocalMongoServer } from '../../src/cli/local-mongodb-servers.js';

const ROOT = new URL('../..', import.meta.url).pathname;

export const SECANTUS_BIN: string | undefined = findSecantus(process.env, ROOT);

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

export interface MongoServerUser {
  readonly user: string;
  readonly pwd: string;
  /** Built-in roles of the admin database (`root`, `readAnyDatabase`, `clusterMonitor`, ...), as createUser takes them. */
  readonly roles: readonly string[];
}

export interface MongoServerOptions {
  /** Answer `hello` as a standalone (no replica-set name, so no change streams for drivers). */
  readonly standalone?: boolean;
  /**
   * Users of the admin database; when given, the server requires SCRAM-SHA-256 authentication and
   * enforces their roles. `url` carries no credentials: give a user's in the connection string.
   */
  readonly users?: readonly MongoServerUser[];
}

/** `url` with `user`'s credentials in it, as a user writes a connection string with a password. */
export function withUser(url: string, user: MongoServerUser): string {
  const parsed = new URL(url);
  parsed.username = encodeURIComponent(user.user);
  parsed.password = encodeURIComponent(user.pwd);
  return parsed.toString();
}

export async function startMongoServer(options: MongoServerOptions = {}): Promise<MongoTestServer> {
  if (SECANTUS_BIN === undefined) throw new Error(String(MONGODB_SERVERS_SKIP_REASON));
  const folder = mkdtempSync(join(tmpdir(), 'livelink-mongodb-'));
  const remove = (): void => rmSync(folder, { recursive: true, force: true });
  const standalone = options.standalone === true ? { standalone: true } : {};
  try {
    let server = await startLocalMongoServer({ bin: SECANTUS_BIN, folder, ...standalone });
    if (options.users !== undefined) {
      // No localhost exception: the users are made on this first start, then the server starts again requiring them.
      await createUsers(server.port, options.users);
      await server.stop();
      server = await startLocalMongoServer({ bin: SECANTUS_BIN, folder, preferredPort: server.port, auth: true, ...standalone });
    }
    return {
      url: server.url,
      port: server.port,
      stop: async () => {
        await server.stop();
        remove();
      },
    };
  } catch (error) {
    remove();
    throw error;
  }
}

async function createUsers(port: number, users: readonly MongoServerUser[]): Promise<void> {
  const client = new MongoClient(`mongodb://127.0.0.1:${port}/?directConnection=true`);
  try {
    for (const { user, pwd, roles } of users) await client.db('admin').command({ createUser: user, pwd, roles: [...roles] });
  } finally {
    await client.close();
  }
}
