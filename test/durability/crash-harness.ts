/**
 * The kill -9 harness (R-02 on SQLite, R-03 on PostgreSQL with two source nodes, R-07).
 *
 * Each cycle: many organizations, one client worker each, send POST link / DELETE link in turns (the
 * real outbound call to a target livelink included); once the cycle's number of writes has been
 * acknowledged the source node(s) get SIGKILL. The kill is counted in acknowledged writes, not in
 * time, so that it lands after the same amount of work on a busy machine as on an idle one. The client
 * records every 201 and 204 it received. After the restart it checks, from the database: no
 * acknowledged link is missing, no acknowledged delete came back, no organization has two links, every
 * organization's audit trail matches its state, the SQLite file passes integrity_check, and, when a
 * ready budget is given (the command line's default is 5 s), the service was ready within it.
 *
 * With two nodes the cycles take turns: both nodes, then the first alone, then the second alone, ...
 * With a private PostgreSQL cluster (--private-postgres: initdb in a temporary folder, on a free port)
 * every odd cycle crashes PostgreSQL itself instead (`pg_ctl stop -m immediate`, then start; the nodes
 * keep running), and checks besides that a header answered before the crash is refused on both nodes
 * after it, when the unlogged replay claims are gone, and that each node then serves fresh nonces.
 *
 *   npm run crash-test -- --cycles 100 [--orgs 200] [--kill-after N] [--ready-budget-ms 5000] [--postgres postgres://user:pass@host/db | --private-postgres]
 *
 * --kill-after fixes the acknowledged writes per cycle; without it each cycle draws one in 1 to 2 × orgs.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { pino } from 'pino';
import { createLivelink } from '../../src/app/livelink.js';
import { loadConfig } from '../../src/config/config.js';
import { STALE_CLAIM_MS } from '../../src/features/migration-link/migration-link-service.js';
import { DigestTestClient } from '../support/digest-client.js';
import { startPrivatePostgres, type PrivatePostgres } from '../support/private-postgres.js';
import { startLivelinkProcess, type RunningProcess } from '../support/processes.js';

export interface HarnessOptions {
  cycles: number;
  orgs: number;
  /** A PostgreSQL server where the user may create databases: R-03 with two source nodes. */
  postgresAdminUrl?: string | undefined;
  /** Two source nodes on a PostgreSQL cluster of the harness's own, crashed and restarted every odd cycle. */
  privatePostgres?: boolean;
  /** How many acknowledged writes a cycle waits for before the kill (cycles count from 1). */
  killAfterAcknowledged: (cycle: number) => number;
  /**
   * The longest a restart may take to be ready, checked only when given. It is a wall-clock budget, so
   * it belongs to the long run on a quiet machine, not to `npm test` on a busy one.
   */
  readyBudgetMs?: number | undefined;
  log?: (line: string) => void;
}

export interface CycleReport {
  cycle: number;
  acknowledged: number;
  /** The acknowledged writes the cycle waited for before the kill. */
  killAfterAcknowledged: number;
  killedNodes: number;
  /** Whether the cycle crashed PostgreSQL (and not the nodes). */
  crashedDatabase: boolean;
  readyMs: number;
  /**
   * The killed nodes' write transactions and COMMITs, scraped from /metrics right before the kill: fewer
   * commits than transactions shows the kill landed on commits shared by concurrent requests.
   */
  writesBeforeKill: { transactions: number; commits: number };
  violations: string[];
}

/** Per organization: what the client knows for sure, and whether a request was in flight at the kill. */
interface OrgLedger {
  lastAcknowledged: 'linked' | 'unlinked';
  inFlight: boolean;
}

export async function runCrashHarness(options: HarnessOptions): Promise<CycleReport[]> {
  const log = options.log ?? ((line: string) => console.log(line));
  const work = mkdtempSync(join(tmpdir(), 'livelink-crash-'));
  const keys = { LIVELINK_ENCRYPTION_KEY: randomBytes(32).toString('base64'), LIVELINK_NONCE_KEY: randomBytes(32).toString('base64') };
  let postgresDatabase: { url: string; drop: () => Promise<void> } | undefined;
  const nodes: RunningProcess[] = [];
  let target: RunningProcess | undefined;
  let cluster: PrivatePostgres | undefined;
  try {
    if (options.privatePostgres === true) cluster = await startPrivatePostgres();
    const adminUrl = cluster?.adminUrl ?? options.postgresAdminUrl;
    if (adminUrl !== undefined) postgresDatabase = await createPostgresDatabase(adminUrl);
    const sourceData = join(work, 'source');
    const dataFlags = postgresDatabase === undefined ? ['--data', sourceData] : ['--database-url', postgresDatabase.url];
    const env = postgresDatabase === undefined ? {} : keys;

    const seeded = await seed(work, sourceData, postgresDatabase?.url, keys, options.orgs);
    // The target: a real livelink, never killed.
    target = await startLivelinkProcess(['--role', 'target', '--data', join(work, 'target')], {});

    const nodeCount = postgresDatabase === undefined ? 1 : 2;
    const sourceFlags = ['--role', 'source', '--target-url', target.url, '--sync-interval', '3600', ...dataFlags];
    for (let i = 0; i < nodeCount; i += 1) nodes.push(await startLivelinkProcess(sourceFlags, env));

    const ledgers = new Map<string, OrgLedger>(seeded.orgIds.map((id) => [id, { lastAcknowledged: 'unlinked', inFlight: false }]));
    const reports: CycleReport[] = [];
    for (let cycle = 1; cycle <= options.cycles; cycle += 1) {
      const killAfterAcknowledged = options.killAfterAcknowledged(cycle);
      // A cycle that cannot reach its count (a target that refuses everything, claims that never clear)
      // must end rather than hang: after this many requests it is killed anyway, and fails.
      const requestLimit = 10 * (killAfterAcknowledged + seeded.orgIds.length);
      let acknowledged = 0;
      let requests = 0;
      let stop = false;
      let crashingDatabase = false;
      let killNow: () => void = () => undefined;
      const due = new Promise<void>((resolve) => (killNow = resolve));
      const countAcknowledged = () => {
        acknowledged += 1;
        if (acknowledged >= killAfterAcknowledged) killNow();
      };
      const anomalies: string[] = [];
      const workers = seeded.orgIds.map(async (orgId, index) => {
        const ledger = ledgers.get(orgId) as OrgLedger;
        while (!stop) {
          requests += 1;
          if (requests > requestLimit) {
            killNow();
            return;
          }
          const node = nodes[index % nodes.length] as RunningProcess;
          const client = new DigestTestClient(node.url, seeded.key.publicKey, seeded.key.privateKey);
          const path = `/api/public/v1.0/orgs/${orgId}/liveExport/migrationLink`;
          const linking = ledger.lastAcknowledged === 'unlinked';
          ledger.inFlight = true;
          try {
            const response = linking
              ? await client.request('POST', path, { linkToken: seeded.linkToken })
              : await client.request('DELETE', path);
            ledger.inFlight = false;
            if (response.status === 201) {
              ledger.lastAcknowledged = 'linked';
              countAcknowledged();
            } else if (response.status === 204) {
              ledger.lastAcknowledged = 'unlinked';
              countAcknowledged();
            } else if (response.status === 404 && !linking) {
              // The ledger is exact after each restart, so an acknowledged link cannot be missing here.
              anomalies.push(`${orgId}: DELETE of an acknowledged link answered 404`);
              ledger.lastAcknowledged = 'unlinked';
            } else if (response.status >= 500) {
              // Answered while the database was down: its outcome is known only from the database after.
              if (stop && crashingDatabase) {
                ledger.inFlight = true;
                return;
              }
              anomalies.push(`${orgId}: ${response.status} ${response.text}`);
            } else if (response.status === 409) {
              // A claim left by a request the kill interrupted: it is reconciled once stale (R-07).
              await sleep(200);
            }
          } catch {
            if (stop) return; // the node died under this request: it stays in flight
            ledger.inFlight = false;
          }
        }
      });
      await due;
      const crashedDatabase = cluster !== undefined && cycle % 2 === 1;
      const victims = cluster === undefined ? victimsOf(cycle, nodes.length) : crashedDatabase ? [] : victimsOf(cycle / 2, nodes.length);
      // Before the crash: a header a node accepted, to replay after it.
      const answered = crashedDatabase ? await answeredHeader(nodes[0] as RunningProcess, seeded) : undefined;
      const writesBeforeKill = { transactions: 0, commits: 0 };
      for (const i of victims) {
        const writes = await writeCounts(nodes[i] as RunningProcess);
        writesBeforeKill.transactions += writes.transactions;
        writesBeforeKill.commits += writes.commits;
      }
      let readyMs = 0;
      if (crashedDatabase) {
        crashingDatabase = true;
        stop = true;
        const startedAt = Date.now();
        await cluster?.crashAndRestart();
        readyMs = Date.now() - startedAt;
        await Promise.allSettled(workers);
        crashingDatabase = false;
      } else {
        for (const i of victims) nodes[i]?.process.kill('SIGKILL');
        stop = true;
        await Promise.allSettled(workers);
      }
      if (acknowledged < killAfterAcknowledged)
        anomalies.push(`only ${acknowledged} of ${killAfterAcknowledged} writes acknowledged in ${requestLimit} requests`);
      if (!crashedDatabase) {
        const startedAt = Date.now();
        for (const i of victims) nodes[i] = await startLivelinkProcess(sourceFlags, env);
        readyMs = Date.now() - startedAt;
      }
      if (answered !== undefined) anomalies.push(...(await replayAfterCrash(nodes, seeded, answered)));

      const violations = [...anomalies, ...(await verify(seeded.orgIds, ledgers, sourceData, postgresDatabase?.url))];
      if (options.readyBudgetMs !== undefined && readyMs > options.readyBudgetMs * Math.max(1, victims.length)) {
        violations.push(`not ready within ${options.readyBudgetMs} ms a node: ${readyMs} ms for ${victims.length}`);
      }
      reports.push({
        cycle,
        acknowledged,
        killAfterAcknowledged,
        killedNodes: victims.length,
        crashedDatabase,
        readyMs,
        writesBeforeKill,
        violations,
      });
      const killed = crashedDatabase ? 'crashed PostgreSQL' : `killed ${victims.length} node(s)`;
      log(
        `cycle ${cycle}: ${acknowledged} acknowledged, ${killed} after ${killAfterAcknowledged} (${writesBeforeKill.transactions} write transactions in ${writesBeforeKill.commits} commits), ready in ${readyMs} ms, ${violations.length} violations${violations.length > 0 ? `: ${violations.slice(0, 5).join('; ')}` : ''}`,
      );
      // A request in flight at the kill is known after the restart: read its outcome as the new truth.
      await settleInFlight(seeded.orgIds, ledgers, sourceData, postgresDatabase?.url);
      // A kill strands a PENDING claim for every link it interrupted, reconciled once STALE_CLAIM_MS old
      // (R-07). Waiting that long every cycle would make the run take minutes per cycle, and not waiting
      // leaves nearly every organization claimed after a dozen cycles, so that later cycles test little.
      // Ageing the claims instead makes every cycle exercise the takeover of a stale claim.
      await ageStrandedClaims(sourceData, postgresDatabase?.url);
    }
    return reports;
  } finally {
    for (const node of [...nodes, ...(target === undefined ? [] : [target])]) node.process.kill('SIGKILL');
    await postgresDatabase?.drop().catch(() => undefined);
    await cluster?.destroy();
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Which nodes a cycle kills (R-03: one node, or all of them). With one node, always that one; with
 * more, the cycles take turns: all of them, then each alone.
 */
export function victimsOf(cycle: number, nodeCount: number): number[] {
  const turn = (cycle - 1) % (nodeCount + 1);
  return nodeCount === 1 || turn === 0 ? Array.from({ length: nodeCount }, (_, i) => i) : [turn - 1];
}

const statusPath = (orgId: string) => `/api/public/v1.0/orgs/${orgId}/liveExport/migrationLink/status`;

/** An Authorization header that a node accepted (its status request answered 200). */
/** A node's write transactions and COMMITs since it started, from its /metrics (served to loopback). */
async function writeCounts(node: RunningProcess): Promise<{ transactions: number; commits: number }> {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  const value = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { transactions: value('livelink_database_write_transactions_total'), commits: value('livelink_database_commits_total') };
}

async function answeredHeader(node: RunningProcess, seeded: { orgIds: string[]; key: { publicKey: string; privateKey: string } }) {
  const client = new DigestTestClient(node.url, seeded.key.publicKey, seeded.key.privateKey);
  const path = statusPath(seeded.orgIds[0] as string);
  const response = await client.request('GET', path);
  return response.status === 200 ? { path, authorization: client.sent.at(-1)?.authorization as string } : undefined;
}

/**
 * After PostgreSQL crashed (and emptied the unlogged claims): the header answered before is refused on
 * every node, and every node then serves a client, which may be told stale=true once (a nonce the node
 * minted before it learnt of the loss).
 */
async function replayAfterCrash(
  nodes: readonly RunningProcess[],
  seeded: { key: { publicKey: string; privateKey: string } },
  answered: { path: string; authorization: string },
): Promise<string[]> {
  const violations: string[] = [];
  for (const [index, node] of nodes.entries()) {
    const client = new DigestTestClient(node.url, seeded.key.publicKey, seeded.key.privateKey);
    const replay = await client.send('GET', answered.path, undefined, { authorization: answered.authorization });
    if (replay.status !== 401)
      violations.push(`node ${index}: a header answered before the database crash was answered ${replay.status} after it`);
    let fresh = await client.request('GET', answered.path);
    if (fresh.status === 401 && /stale=true$/.test(fresh.headers.get('www-authenticate') ?? ''))
      fresh = await client.request('GET', answered.path);
    if (fresh.status !== 200) violations.push(`node ${index}: a fresh nonce after the database crash was answered ${fresh.status}`);
  }
  return violations;
}

/** Organizations, one global key for all of them, a target organization and one link-token. */
async function seed(work: string, sourceData: string, postgresUrl: string | undefined, keys: Record<string, string>, orgCount: number) {
  const target = await openLivelink(join(work, 'target'), undefined, {});
  const atlas = await target.services.organizations.createOrganization('Crash Atlas');
  const linkToken = await target.services.linkTokens.createToken(atlas, []);
  await target.close();

  const source = await openLivelink(sourceData, postgresUrl, postgresUrl === undefined ? {} : keys);
  const orgIds: string[] = [];
  for (let i = 0; i < orgCount; i += 1) orgIds.push((await source.services.organizations.createOrganization(`Crash Org ${i}`)).id);
  const { apiKey, privateKey } = await source.services.apiKeys.create({
    orgId: null,
    description: 'crash harness',
    roles: ['GLOBAL_OWNER'],
    accessList: [],
  });
  await source.close();
  return { orgIds, linkToken, key: { publicKey: apiKey.publicKey, privateKey } };
}

function openLivelink(dataDir: string, postgresUrl: string | undefined, env: Record<string, string>) {
  const flags: Record<string, string> = { data: dataDir, ...(postgresUrl === undefined ? {} : { 'database-url': postgresUrl }) };
  return createLivelink(loadConfig({ flags, env }), { logger: pino({ level: 'silent' }) });
}

interface LinkState {
  links: Map<string, { count: number; state: string }>;
  events: Map<string, { created: number; deleted: number }>;
  integrity: string;
}

async function readState(sourceData: string, postgresUrl: string | undefined): Promise<LinkState> {
  const links = new Map<string, { count: number; state: string }>();
  const events = new Map<string, { created: number; deleted: number }>();
  let linkRows: { org_id: string; state: string }[];
  let eventRows: { org_id: string; event_type: string }[];
  let integrity = 'ok';
  if (postgresUrl === undefined) {
    const db = new SqliteDatabase(join(sourceData, 'livelink.sqlite'), { readonly: true, fileMustExist: true });
    try {
      integrity = String(db.pragma('integrity_check', { simple: true }));
      linkRows = db.prepare('select org_id, state from migration_links').all() as typeof linkRows;
      eventRows = db
        .prepare("select org_id, event_type from audit_events where event_type in ('ORG_LINK_CREATED', 'ORG_LINK_DELETED')")
        .all() as typeof eventRows;
    } finally {
      db.close();
    }
  } else {
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    try {
      linkRows = (await client.query<{ org_id: string; state: string }>('select org_id, state from migration_links')).rows;
      eventRows = (
        await client.query<{ org_id: string; event_type: string }>(
          "select org_id, event_type from audit_events where event_type in ('ORG_LINK_CREATED', 'ORG_LINK_DELETED')",
        )
      ).rows;
    } finally {
      await client.end();
    }
  }
  for (const row of linkRows) {
    const entry = links.get(row.org_id) ?? { count: 0, state: row.state };
    entry.count += 1;
    entry.state = row.state;
    links.set(row.org_id, entry);
  }
  for (const row of eventRows) {
    const entry = events.get(row.org_id) ?? { created: 0, deleted: 0 };
    if (row.event_type === 'ORG_LINK_CREATED') entry.created += 1;
    else entry.deleted += 1;
    events.set(row.org_id, entry);
  }
  return { links, events, integrity };
}

async function verify(
  orgIds: readonly string[],
  ledgers: Map<string, OrgLedger>,
  sourceData: string,
  postgresUrl: string | undefined,
): Promise<string[]> {
  const state = await readState(sourceData, postgresUrl);
  const violations: string[] = [];
  if (state.integrity !== 'ok') violations.push(`integrity_check: ${state.integrity}`);
  for (const orgId of orgIds) {
    const ledger = ledgers.get(orgId) as OrgLedger;
    const link = state.links.get(orgId);
    const linked = link?.state === 'LINKED';
    if ((link?.count ?? 0) > 1) violations.push(`${orgId} has ${link?.count} links`);
    if (!ledger.inFlight) {
      if (ledger.lastAcknowledged === 'linked' && !linked) violations.push(`${orgId}: acknowledged link missing`);
      if (ledger.lastAcknowledged === 'unlinked' && linked) violations.push(`${orgId}: acknowledged delete came back`);
    }
    const events = state.events.get(orgId) ?? { created: 0, deleted: 0 };
    if (events.created - events.deleted !== (linked ? 1 : 0)) {
      violations.push(
        `${orgId}: ${events.created} created and ${events.deleted} deleted events for a ${linked ? 'linked' : 'unlinked'} organization`,
      );
    }
  }
  return violations;
}

async function settleInFlight(
  orgIds: readonly string[],
  ledgers: Map<string, OrgLedger>,
  sourceData: string,
  postgresUrl: string | undefined,
): Promise<void> {
  const state = await readState(sourceData, postgresUrl);
  for (const orgId of orgIds) {
    const ledger = ledgers.get(orgId) as OrgLedger;
    if (!ledger.inFlight) continue;
    ledger.lastAcknowledged = state.links.get(orgId)?.state === 'LINKED' ? 'linked' : 'unlinked';
    ledger.inFlight = false;
  }
}

/** Moves every PENDING claim's time to just past STALE_CLAIM_MS ago, as if that much time had passed. */
async function ageStrandedClaims(sourceData: string, postgresUrl: string | undefined): Promise<void> {
  const staleSince = new Date(Date.now() - STALE_CLAIM_MS - 1000).toISOString();
  if (postgresUrl === undefined) {
    const db = new SqliteDatabase(join(sourceData, 'livelink.sqlite'), { fileMustExist: true, timeout: 5000 });
    try {
      db.prepare("update migration_links set claimed_at = ? where state = 'PENDING'").run(staleSince);
    } finally {
      db.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    await client.query("update migration_links set claimed_at = $1 where state = 'PENDING'", [staleSince]);
  } finally {
    await client.end();
  }
}

async function createPostgresDatabase(adminUrl: string) {
  const name = `livelink_crash_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

function positiveInteger(flag: string, value: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 1) {
    console.error(`${flag} must be a whole number of at least 1, not ${JSON.stringify(value)}`);
    process.exit(2);
  }
  return parsed;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

if (process.argv[1]?.endsWith('crash-harness.ts')) {
  const { values } = parseArgs({
    options: {
      cycles: { type: 'string', default: '10' },
      orgs: { type: 'string', default: '200' },
      'kill-after': { type: 'string' },
      'ready-budget-ms': { type: 'string', default: '5000' },
      postgres: { type: 'string' },
      'private-postgres': { type: 'boolean', default: false },
    },
  });
  const orgs = positiveInteger('--orgs', values.orgs);
  const fixedKillAfter = values['kill-after'] === undefined ? undefined : positiveInteger('--kill-after', values['kill-after']);
  const reports = await runCrashHarness({
    cycles: positiveInteger('--cycles', values.cycles),
    orgs,
    // The long run varies where in the traffic the kill lands; the count keeps it independent of load.
    killAfterAcknowledged: () => fixedKillAfter ?? 1 + Math.floor(Math.random() * 2 * orgs),
    readyBudgetMs: positiveInteger('--ready-budget-ms', values['ready-budget-ms']),
    postgresAdminUrl: values.postgres,
    privatePostgres: values['private-postgres'],
  });
  const failed = reports.filter((r) => r.violations.length > 0);
  const acknowledged = reports.reduce((n, r) => n + r.acknowledged, 0);
  console.log(`${reports.length} cycles, ${acknowledged} acknowledged writes, ${failed.length} cycles with violations`);
  process.exitCode = failed.length === 0 ? 0 : 1;
}
