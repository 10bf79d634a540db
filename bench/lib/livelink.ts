/**
 * livelink as the bench runs it: built, seeded through its CLI (and, for the few dozen organizations
 * of link-cycle, through its own services in one process, which is the CLI's code path without a
 * process per command), started as a real `node bin/livelink.js serve` process pinned to the server
 * core, and linked once through the real API.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { Client } from 'undici';
import { createLivelink } from '../../src/app/livelink.js';
import { loadConfig } from '../../src/config/config.js';
import { challengeNonce, DigestSession, type DigestKey } from './digest.js';
import { SERVER_CORE, start, type Started, type StartOptions } from './processes.js';
import { linkPath, statusPath } from './protocol.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'livelink.js');

/** Where livelink's data lives: a SQLite folder, or a PostgreSQL database with the keys every node must share. */
export type Store =
  | { kind: 'sqlite'; dataDir: string }
  /** `dataDir` holds what the CLI keeps beside the database (init's demo-credentials.json). */
  | { kind: 'postgres'; url: string; env: Record<string, string>; dataDir: string };

export interface OrgKey extends DigestKey {
  orgId: string;
}

export interface Seeded {
  source: OrgKey;
  target: OrgKey;
  /** A GLOBAL_OWNER key: growth addresses a million organizations with one key. */
  global: DigestKey;
  /** One organization with its own ORG_OWNER key per link-cycle connection. */
  cycleOrgs: OrgKey[];
}

/** `npm run build`: the bench measures the compiled server that `npm start` runs, never a stale dist/. */
export function build(): void {
  const result = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) throw new Error('npm run build failed');
}

/** Fresh random keys for PostgreSQL, where livelink refuses generated local ones. */
export function postgresKeys(): Record<string, string> {
  return { LIVELINK_ENCRYPTION_KEY: randomBytes(32).toString('base64'), LIVELINK_NONCE_KEY: randomBytes(32).toString('base64') };
}

function storeArgs(store: Store): string[] {
  return store.kind === 'sqlite' ? ['--data', store.dataDir] : ['--database-url', store.url, '--data', store.dataDir];
}

function storeEnv(store: Store): NodeJS.ProcessEnv {
  // LIVELINK_* from the caller's shell must not change what is measured (a log level, a port…).
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('LIVELINK_')));
  return store.kind === 'postgres' ? { ...env, ...store.env } : env;
}

function cli(args: readonly string[], store: Store): string {
  const result = spawnSync(process.execPath, [BIN, ...args, ...storeArgs(store)], { cwd: ROOT, env: storeEnv(store), encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`livelink ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  return result.stdout;
}

/** Organizations, keys and the link-cycle organizations, on a fresh store. */
export async function seed(store: Store, cycleOrgCount: number): Promise<Seeded> {
  mkdirSync(store.dataDir, { recursive: true });
  const demo = JSON.parse(cli(['init', '--json'], store)) as { source: OrgKey; target: OrgKey };
  const global = JSON.parse(
    cli(['apikey', 'create', '--global', '--role', 'GLOBAL_OWNER', '--description', 'bench growth', '--json'], store),
  ) as DigestKey;

  const config = loadConfig({
    flags: store.kind === 'sqlite' ? { data: store.dataDir } : { 'database-url': store.url, data: store.dataDir },
    env: store.kind === 'sqlite' ? {} : store.env,
  });
  const livelink = await createLivelink(config, { logger: pino({ level: 'warn' }) });
  const cycleOrgs: OrgKey[] = [];
  try {
    for (let i = 0; i < cycleOrgCount; i += 1) {
      const org = await livelink.services.organizations.createOrganization(`bench link-cycle ${i}`);
      const { apiKey, privateKey } = await livelink.services.apiKeys.create({
        orgId: org.id,
        description: 'bench link-cycle',
        roles: ['ORG_OWNER'],
        accessList: [],
      });
      cycleOrgs.push({ orgId: org.id, publicKey: apiKey.publicKey, privateKey });
    }
  } finally {
    await livelink.close();
  }
  return { source: demo.source, target: demo.target, global: { publicKey: global.publicKey, privateKey: global.privateKey }, cycleOrgs };
}

export interface RunningLivelink {
  process: Started;
  url: string;
}

export interface ServeOptions {
  name: string;
  store: Store;
  port?: number;
  syncIntervalSeconds?: number;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeArgs?: readonly string[];
}

/** The command line of `node bin/livelink.js serve --port 0 --data <dir> --log-level warn`, pinned to the server core. */
export function serveCommand(options: ServeOptions): StartOptions {
  const args = [
    ...(options.nodeArgs ?? []),
    BIN,
    'serve',
    '--port',
    String(options.port ?? 0),
    '--log-level',
    'warn',
    ...(options.syncIntervalSeconds === undefined ? [] : ['--sync-interval', String(options.syncIntervalSeconds)]),
    ...storeArgs(options.store),
  ];
  return { name: options.name, command: process.execPath, args, core: SERVER_CORE, env: storeEnv(options.store), cwd: ROOT };
}

/** Starts livelink and waits for the line it prints once it listens. */
export async function serve(options: ServeOptions): Promise<RunningLivelink> {
  const started = start(serveCommand(options));
  const match = await started.waitForLine(/livelink listening on (\S+) \(role/, 30_000);
  return { process: started, url: match[1] as string };
}

/** A copy of a stopped SQLite data folder (database and generated keys), for another server. */
export function copyDataDir(from: string, to: string): void {
  rmSync(to, { recursive: true, force: true });
  cpSync(from, to, { recursive: true });
}

/** One call the way curl makes it: a challenge, then the answer. For set-up, not for measuring. */
export async function digestCall(
  url: string,
  key: DigestKey,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<{ status: number; text: string }> {
  const client = new Client(url);
  try {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
    };
    const first = await client.request({ method, path, headers });
    await first.body.dump();
    const nonce = challengeNonce(first.headers['www-authenticate']);
    if (first.statusCode !== 401 || nonce === undefined)
      throw new Error(`${method} ${path}: expected a digest challenge, got ${first.statusCode}`);
    const session = new DigestSession(key);
    session.useNonce(nonce);
    const answer = await client.request({
      method,
      path,
      headers: { ...headers, authorization: session.authorization(method, path) },
      body: payload,
    });
    return { status: answer.statusCode, text: await answer.body.text() };
  } finally {
    await client.close();
  }
}

/**
 * Issues a link-token on the target organization and links the source organization with it, through
 * the API (the source's real outbound call to the target included). Returns the token, which the
 * link-cycle organizations re-use: one Atlas organization may receive many sources.
 */
export async function linkThroughApi(url: string, seeded: Seeded): Promise<string> {
  const tokenPath = `/api/atlas/v2/orgs/${seeded.target.orgId}/liveMigrations/linkTokens`;
  const issued = await digestCall(url, seeded.target, 'POST', tokenPath, { accessListIps: ['127.0.0.1'] });
  if (issued.status !== 201) throw new Error(`link-token: ${issued.status} ${issued.text}`);
  const { linkToken } = JSON.parse(issued.text) as { linkToken: string };
  const linked = await digestCall(url, seeded.source, 'POST', linkPath(seeded.source.orgId), { linkToken });
  if (linked.status !== 201) throw new Error(`link: ${linked.status} ${linked.text}`);
  const status = await digestCall(url, seeded.source, 'GET', statusPath(seeded.source.orgId));
  if (status.status !== 200 || (JSON.parse(status.text) as { status?: unknown }).status !== 'SYNCED')
    throw new Error(`status after link: ${status.status} ${status.text}`);
  return linkToken;
}
