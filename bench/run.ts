/**
 * `npm run bench`: how close livelink is to the practical limit of Node.js (a bare node:http server,
 * measured in the same run) and how far ahead of the mock servers people would otherwise use.
 *
 * Shared machines are noisy, so no figure stands alone: every measured window of a scenario sits
 * between two baseline windows, its ratio is taken against their mean, and the figures are medians
 * over several rounds. Servers run pinned to core 0, the load generator (and this process) to core 1.
 * Everything started here is stopped here, by PID, on every way out.
 *
 *   npm run bench                      the table
 *   npm run bench -- --json            the JSON document
 *   npm run bench -- --profile         CPU profiles of livelink per scenario, summarized
 *   npm run bench -- --perf            Linux perf samples of the same, kernel and native code included
 *   npm run bench -- --quick           a short smoke run (fewer, shorter rounds; small growth)
 *   npm run bench -- --scenarios a,b   only those scenarios (and the baseline); no several nodes or start-up, and
 *                                      growth only when "growth" is one of them
 *   npm run bench -- --migration       only the live-migration data plane against a bare driver copy
 *                                      (bench/lib/migration.ts); --migration-docs N, --quick, --json, --profile
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatSummary, summarize } from './lib/cpuprofile.js';
import { measureFsyncRate } from './lib/fsync.js';
import { GROWTH_ID_PREFIX, seedGrowth, setSyncLeaseElsewhere } from './lib/growth.js';
import {
  build,
  copyDataDir,
  digestCall,
  linkThroughApi,
  postgresKeys,
  ROOT,
  seed,
  serve,
  serveCommand,
  type RunningLivelink,
  type Seeded,
  type Store,
} from './lib/livelink.js';
import { LoadGenerator, type JobSpec } from './lib/loadgen.js';
import { machineInfo } from './lib/machine.js';
import { formatMigrationTable, migrationRun } from './lib/migration.js';
import { mockoonArgs, preparePeers, prismArgs, type Peers } from './lib/peers.js';
import { PERF_NODE_ARGS, perfRecord, perfSummary, perfUnavailable, removePerfMap } from './lib/perf.js';
import { createBenchDatabase, postgresAdminUrl, type BenchDatabase } from './lib/postgres.js';
import { measureSeveralNodes } from './lib/several-nodes.js';
import {
  installExitGuards,
  LOADGEN_CORE,
  pinSelf,
  SERVER_CORE,
  sleep,
  start,
  stopAll,
  treeRssMb,
  type Started,
  type StartOptions,
} from './lib/processes.js';
import { linkPath, statusPath, type LoadResult } from './lib/protocol.js';
import { checkTargets, diskFigure, figure, formatTable, type BenchReport, type ScenarioFigure, type Unit } from './lib/report.js';
import { freePort, measureStartup, waitForHttp } from './lib/startup.js';
import { median } from './lib/stats.js';

const WORK = join(ROOT, 'bench', '.work');
const RUN_DIR = join(WORK, 'run');
const BASELINE_SERVER = fileURLToPath(new URL('./baseline-server.mjs', import.meta.url));
const REFERENCE_SERVER = fileURLToPath(new URL('./reference-fastify-digest.mjs', import.meta.url));
/** The name in --scenarios that asks for the growth runs (they are not in the scenario list). */
const GROWTH_SCENARIO = 'growth';

interface Options {
  json: boolean;
  profile: boolean;
  perf: boolean;
  rounds: number;
  growthRounds: number;
  durationMs: number;
  concurrency: number;
  peers: boolean;
  growth: boolean;
  postgres: boolean;
  growthSizes: number[];
  startupSamples: number;
  peerStartupSamples: number;
  profileSeconds: number;
  quick: boolean;
  migration: boolean;
  migrationDocs: number;
  migrationTailSeconds: number;
  /** Only these scenarios (by name, as in the table), or undefined for all of them. */
  scenarios: readonly string[] | undefined;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      json: { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      perf: { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      'growth-rounds': { type: 'string' },
      'duration-ms': { type: 'string' },
      concurrency: { type: 'string' },
      'growth-sizes': { type: 'string' },
      'no-peers': { type: 'boolean', default: false },
      'no-growth': { type: 'boolean', default: false },
      'no-postgres': { type: 'boolean', default: false },
      'profile-seconds': { type: 'string' },
      migration: { type: 'boolean', default: false },
      'migration-docs': { type: 'string' },
      'migration-tail-seconds': { type: 'string' },
      scenarios: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      'usage: npm run bench -- [--json] [--quick] [--rounds N] [--growth-rounds N] [--duration-ms MS] [--concurrency N]\n' +
        '                        [--growth-sizes 1000,100000,1000000] [--no-peers] [--no-growth] [--no-postgres]\n' +
        '                        [--scenarios status-reuse,reference/status-reuse,...]  only those (and the baseline), without\n' +
        '                        several nodes and start-up, and growth only when "growth" is named; with --perf or\n' +
        '                        --profile, only those servers\n' +
        '       npm run bench -- --profile [--profile-seconds S] [--growth-sizes N]\n' +
        '       npm run bench -- --perf [--profile-seconds S]     (Linux perf: kernel, native code and JavaScript)\n' +
        '       npm run bench -- --migration [--migration-docs N] [--migration-tail-seconds S] [--quick] [--json] [--profile]\n' +
        '                        the live-migration data plane against a bare driver copy between two SecantusDB servers\n' +
        '                        (default 1,000,000 documents, 50,000 with --quick; needs scripts/install-test-servers.sh)\n' +
        'PostgreSQL scenarios run when LIVELINK_BENCH_POSTGRES_URL (or LIVELINK_TEST_POSTGRES_URL) names a user that may create databases.\n',
    );
    process.exit(0);
  }
  const quick = values.quick;
  const int = (text: string | undefined, fallback: number, name: string): number => {
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer`);
    return n;
  };
  const sizes = (values['growth-sizes'] ?? (quick ? '1000,20000' : '1000,100000,1000000'))
    .split(',')
    .map((s) => int(s.trim(), 0, 'growth-sizes'));
  return {
    json: values.json,
    profile: values.profile,
    perf: values.perf,
    rounds: int(values.rounds, quick ? 2 : 5, 'rounds'),
    growthRounds: int(values['growth-rounds'], quick ? 2 : 3, 'growth-rounds'),
    durationMs: int(values['duration-ms'], quick ? 1000 : 2000, 'duration-ms'),
    concurrency: int(values.concurrency, 32, 'concurrency'),
    peers: !values['no-peers'],
    growth: !values['no-growth'],
    postgres: !values['no-postgres'],
    growthSizes: sizes.sort((a, b) => a - b),
    startupSamples: quick ? 2 : 5,
    peerStartupSamples: quick ? 1 : 3,
    profileSeconds: int(values['profile-seconds'], quick ? 3 : 8, 'profile-seconds'),
    quick,
    migration: values.migration,
    migrationDocs: int(values['migration-docs'], quick ? 50_000 : 1_000_000, 'migration-docs'),
    migrationTailSeconds: int(values['migration-tail-seconds'], quick ? 10 : 60, 'migration-tail-seconds'),
    scenarios: values.scenarios === undefined ? undefined : values.scenarios.split(',').map((name) => name.trim()),
  };
}

/** Whether the run measures scenario `name` (--scenarios). */
function selected(options: Options, name: string): boolean {
  return options.scenarios === undefined || options.scenarios.includes(name);
}

/** Whether --scenarios leaves any scenario whose name passes `test`. */
function selectsAny(options: Options, test: (name: string) => boolean): boolean {
  return options.scenarios === undefined || options.scenarios.some(test);
}

const began = performance.now();
function log(line: string): void {
  process.stderr.write(`[bench ${((performance.now() - began) / 1000).toFixed(0).padStart(4)}s] ${line}\n`);
}

function message(error: unknown): string {
  return error instanceof Error ? (error.message.split('\n')[0] ?? error.message) : String(error);
}

interface Scenario {
  name: string;
  database: ScenarioFigure['database'];
  unit: Unit;
  organizations?: number;
  job: JobSpecBody;
}

/** A job without the timing, which the round decides. */
type JobSpecBody = JobSpec extends infer J ? (J extends JobSpec ? Omit<J, 'concurrency' | 'warmupMs' | 'durationMs'> : never) : never;

/** First window of a scenario: connections, JIT and caches warm before anything counts. */
const FIRST_WARMUP_MS = 1500;
const WARMUP_MS = 300;

/**
 * Runs rounds of scenarios, each window between two baseline windows. The baseline's own results
 * go to `baselineResults` for its row.
 */
class Measurer {
  readonly baselineResults: LoadResult[] = [];
  /** The disk's fsyncs per second, measured right after each link-cycle (SQLite) window. */
  readonly fsyncRounds: number[] = [];
  /** Each link-cycle window's COMMITs per pair (from livelink's /metrics, warm-up included). */
  readonly commitsPerPairRounds: number[] = [];
  #baselineWarm = false;

  constructor(
    private readonly loadgen: LoadGenerator,
    private readonly baselineOrigin: string,
    private readonly options: Options,
    /** The SQLite livelink: its data folder, where the fsync rate is measured, and its /metrics. */
    private readonly sqlite?: { dataDir: string; url: string },
  ) {}

  async #baseline(): Promise<LoadResult> {
    const result = await this.loadgen.run({
      kind: 'plain',
      origin: this.baselineOrigin,
      path: statusPath('000000000000000000000000'),
      concurrency: this.options.concurrency,
      warmupMs: this.#baselineWarm ? WARMUP_MS : FIRST_WARMUP_MS,
      // Half-length baseline windows: there is one per scenario window, and they only need a stable median.
      durationMs: Math.max(1000, Math.round(this.options.durationMs / 2)),
    });
    this.#baselineWarm = true;
    // Every ratio divides by this: a baseline that answered nothing means the bench itself is broken.
    if (result.operations === 0) throw new Error(`the baseline answered nothing: ${JSON.stringify(result.unexpected)}`);
    this.baselineResults.push(result);
    return result;
  }

  async rounds(scenarios: readonly Scenario[], rounds: number): Promise<ScenarioFigure[]> {
    const results = new Map<string, { rounds: LoadResult[]; ratios: number[] }>(scenarios.map((s) => [s.name, { rounds: [], ratios: [] }]));
    for (let round = 0; round < rounds; round += 1) {
      let before = await this.#baseline();
      const line: string[] = [];
      for (const scenario of scenarios) {
        const linkCycle = scenario.name === 'link-cycle' ? this.sqlite : undefined;
        const countsBefore = linkCycle === undefined ? undefined : await linkCycleCounts(linkCycle.url);
        const result = await this.loadgen.run({
          ...scenario.job,
          concurrency: this.options.concurrency,
          warmupMs: round === 0 ? FIRST_WARMUP_MS : WARMUP_MS,
          durationMs: this.options.durationMs,
        } as JobSpec);
        const after = await this.#baseline();
        const reference = (before.operationsPerSecond + after.operationsPerSecond) / 2;
        const entry = results.get(scenario.name);
        entry?.rounds.push(result);
        entry?.ratios.push(result.operationsPerSecond / reference);
        line.push(`${scenario.name} ${Math.round(result.operationsPerSecond)} (${(result.operationsPerSecond / reference).toFixed(3)})`);
        if (linkCycle !== undefined && countsBefore !== undefined) {
          const countsAfter = await linkCycleCounts(linkCycle.url);
          const perPair = (countsAfter.commits - countsBefore.commits) / (countsAfter.links - countsBefore.links);
          this.commitsPerPairRounds.push(perPair);
          // Right after the window, on the same disk and under the same neighbours: the limit that
          // window's pairs are held against (one fsync per pair).
          const rate = measureFsyncRate(linkCycle.dataDir);
          this.fsyncRounds.push(rate);
          line.push(`fsync ${Math.round(rate)}/s, ${perPair.toFixed(2)} commits/pair`);
        }
        before = after;
      }
      log(`round ${round + 1}/${rounds}: baseline ~${Math.round(before.operationsPerSecond)}/s; ${line.join(', ')}`);
    }
    return scenarios.map((s) => {
      const entry = results.get(s.name) ?? { rounds: [], ratios: [] };
      return figure(s.name, s.database, s.unit, entry.rounds, entry.ratios, s.organizations);
    });
  }
}

/**
 * Where livelink's V8 heap is after the load, from its /metrics (prom-client's default metrics): each
 * space's committed size and the part of it in use, in MB, so the report says which part of the resident memory is the young
 * generation, which the old, which the large objects.
 */
async function heapSpacesMb(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const spaces: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const match = /^nodejs_heap_space_size_(total|used)_bytes\{space="([a-z_]+)"\} (\d+(?:\.\d+)?)$/.exec(line);
    if (match !== null) spaces[`${match[2] as string}${match[1] === 'used' ? ' used' : ''}`] = Number(match[3]) / (1024 * 1024);
  }
  return spaces;
}

/** livelink's COMMITs and the links it made (POST answered 201), from its /metrics (served to loopback). */
async function linkCycleCounts(url: string): Promise<{ commits: number; links: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (series: string): number => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? 0 : Number(line.slice(series.length + 1));
  };
  return {
    commits: value('livelink_database_commits_total'),
    links: value('livelink_http_requests_total{route="createMigrationLink",method="POST",status="201"}'),
  };
}

function livelinkScenarios(suffix: string, database: 'sqlite' | 'postgres', url: string, seeded: Seeded, linkToken: string): Scenario[] {
  const statusOrg = { kind: 'list' as const, ids: [seeded.source.orgId] };
  const key = { publicKey: seeded.source.publicKey, privateKey: seeded.source.privateKey };
  return [
    { name: `status-reuse${suffix}`, database, unit: 'requests/s', job: { kind: 'status-reuse', origin: url, orgs: statusOrg, key } },
    {
      name: `status-challenge${suffix}`,
      database,
      unit: 'operations/s',
      job: { kind: 'status-challenge', origin: url, orgs: statusOrg, key },
    },
    {
      name: `unauthenticated${suffix}`,
      database,
      unit: 'requests/s',
      job: { kind: 'unauthenticated', origin: url, path: statusPath(seeded.source.orgId) },
    },
    {
      name: `link-cycle${suffix}`,
      database,
      unit: 'pairs/s',
      job: {
        kind: 'link-cycle',
        origin: url,
        orgs: seeded.cycleOrgs.map((o) => ({ orgId: o.orgId, key: { publicKey: o.publicKey, privateKey: o.privateKey } })),
        linkToken,
      },
    },
  ];
}

/** The same clients against the Fastify-plus-digest reference: what the targets assume such a server reaches. */
function referenceScenarios(url: string, seeded: Seeded): Scenario[] {
  const orgs = { kind: 'list' as const, ids: [seeded.source.orgId] };
  const key = { publicKey: seeded.source.publicKey, privateKey: seeded.source.privateKey };
  return [
    { name: 'reference/status-reuse', database: null, unit: 'requests/s', job: { kind: 'status-reuse', origin: url, orgs, key } },
    { name: 'reference/status-challenge', database: null, unit: 'operations/s', job: { kind: 'status-challenge', origin: url, orgs, key } },
    {
      name: 'reference/unauthenticated',
      database: null,
      unit: 'requests/s',
      job: { kind: 'unauthenticated', origin: url, path: statusPath(seeded.source.orgId) },
    },
  ];
}

/** The template data folder: demo organizations, keys, link-cycle organizations, and one link made through the API. */
async function prepareTemplate(dir: string, options: Options): Promise<{ seeded: Seeded; linkToken: string }> {
  const seeded = await seed({ kind: 'sqlite', dataDir: dir }, options.concurrency);
  const setup = await serve({ name: 'livelink (set-up)', store: { kind: 'sqlite', dataDir: dir } });
  try {
    return { seeded, linkToken: await linkThroughApi(setup.url, seeded) };
  } finally {
    await setup.process.stop();
  }
}

async function startPeer(name: string, args: (port: number) => string[], path: string): Promise<{ process: Started; url: string }> {
  const port = await freePort();
  const started = start({ name, command: process.execPath, args: args(port), core: SERVER_CORE, output: 'stderr' });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}${path}`, started, 60_000);
  return { process: started, url };
}

async function benchRun(options: Options): Promise<void> {
  const notes: string[] = [];
  rmSync(RUN_DIR, { recursive: true, force: true });
  mkdirSync(RUN_DIR, { recursive: true });
  log('building livelink (npm run build)');
  build();
  const machine = machineInfo();
  if (!machine.pinned) notes.push('taskset not found: server and load generator were not pinned to separate cores.');

  const only = options.scenarios;
  // "growth" in --scenarios names the growth runs, which are not in the table's scenario list.
  const growthWanted = options.growth && (only === undefined || only.includes(GROWTH_SCENARIO));
  if (only !== undefined)
    notes.push(`only ${only.join(', ')} and the baseline (--scenarios): no several nodes or start-up${growthWanted ? '' : ', no growth'}.`);
  let peers: Peers | undefined;
  if (!options.peers) notes.push('peers skipped (--no-peers).');
  else if (selectsAny(options, (name) => name.startsWith('peer-'))) {
    try {
      peers = preparePeers(WORK, log);
    } catch (error) {
      notes.push(`peers not measured: ${message(error)}`);
    }
  }

  log('seeding the SQLite template (CLI init, keys, link-cycle organizations, one link through the API)');
  const templateDir = join(RUN_DIR, 'template');
  const { seeded, linkToken } = await prepareTemplate(templateDir, options);

  let database: BenchDatabase | undefined;
  const adminUrl = postgresAdminUrl();
  const postgresWanted = options.postgres && selectsAny(options, (name) => name.endsWith('/postgres'));
  if (!options.postgres) notes.push('PostgreSQL skipped (--no-postgres).');
  else if (adminUrl === undefined)
    notes.push(
      'PostgreSQL not measured: set LIVELINK_BENCH_POSTGRES_URL (or LIVELINK_TEST_POSTGRES_URL) to a user that may create databases.',
    );

  const report: BenchReport = {
    machine,
    settings: {
      rounds: options.rounds,
      growth_rounds: options.growthRounds,
      duration_ms: options.durationMs,
      concurrency: options.concurrency,
      command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    },
    scenarios: [],
    growth: {
      // Growth runs without --scenarios, or when it names "growth": otherwise there are no sizes to report.
      sizes: growthWanted ? options.growthSizes : [],
      ratio_largest_to_smallest: null,
      ratio_largest_to_smallest_request_path: null,
      seed_seconds: {},
      database_mb: {},
    },
    startup_ms: {},
    startup_samples_ms: {},
    rss_mb: {},
    targets: [],
    notes,
  };

  let loadgen: LoadGenerator | undefined;
  try {
    let pg: { store: Store; seeded: Seeded } | undefined;
    if (postgresWanted && adminUrl !== undefined) {
      database = await createBenchDatabase(adminUrl);
      machine.postgres = database.serverVersion;
      const store: Store = { kind: 'postgres', url: database.url, env: postgresKeys(), dataDir: join(RUN_DIR, 'postgres') };
      log(`seeding PostgreSQL database ${database.name}`);
      pg = { store, seeded: await seed(store, options.concurrency) };
    }

    log('starting the servers');
    const baseline = start({ name: 'baseline', command: process.execPath, args: [BASELINE_SERVER, '0'], core: SERVER_CORE });
    const baselineUrl = (await baseline.waitForLine(/listening on (\S+)/, 10_000))[1] as string;
    // The premise of the throughput targets, measured here rather than assumed: Fastify with only a
    // digest check (one key, no database) on the same clients.
    const reference = start({
      name: 'reference',
      command: process.execPath,
      args: [REFERENCE_SERVER, seeded.source.publicKey, seeded.source.privateKey, '0'],
      core: SERVER_CORE,
    });
    const referenceUrl = (await reference.waitForLine(/listening on (\S+)/, 10_000))[1] as string;
    const sqliteDir = join(RUN_DIR, 'sqlite');
    copyDataDir(templateDir, sqliteDir);
    const livelink = await serve({ name: 'livelink', store: { kind: 'sqlite', dataDir: sqliteDir } });
    const servers: { name: string; pid: number }[] = [
      { name: 'baseline', pid: baseline.pid },
      { name: 'livelink', pid: livelink.process.pid },
      { name: 'reference', pid: reference.pid },
    ];
    const allScenarios: Scenario[] = [
      ...livelinkScenarios('', 'sqlite', livelink.url, seeded, linkToken),
      ...referenceScenarios(referenceUrl, seeded),
    ];
    let livelinkPg: RunningLivelink | undefined;
    if (pg !== undefined) {
      livelinkPg = await serve({ name: 'livelink/postgres', store: pg.store });
      const pgToken = await linkThroughApi(livelinkPg.url, pg.seeded);
      servers.push({ name: 'livelink/postgres', pid: livelinkPg.process.pid });
      allScenarios.push(...livelinkScenarios('/postgres', 'postgres', livelinkPg.url, pg.seeded, pgToken));
    }
    const peerProcesses: Started[] = [];
    if (peers !== undefined) {
      const path = statusPath(seeded.source.orgId);
      for (const [name, args] of [
        ['peer-prism', (port: number) => prismArgs(peers, port)],
        ['peer-mockoon', (port: number) => mockoonArgs(peers, port)],
      ] as const) {
        try {
          const peer = await startPeer(name, args, path);
          peerProcesses.push(peer.process);
          servers.push({ name, pid: peer.process.pid });
          allScenarios.push({ name, database: null, unit: 'requests/s', job: { kind: 'plain', origin: peer.url, path } });
        } catch (error) {
          notes.push(`${name} not measured: ${message(error)}`);
        }
      }
      notes.push(
        `peers: ${'@stoplight/prism-cli'}@${peers.prism.version} (prism mock, static example) and @mockoon/cli@${peers.mockoon.version} (environment imported from the same OpenAPI document), no authentication.`,
      );
    }
    const unknown = (only ?? []).filter((name) => name !== GROWTH_SCENARIO && !allScenarios.some((s) => s.name === name));
    if (unknown.length > 0)
      throw new Error(
        `--scenarios: no scenario ${unknown.join(', ')} in this run; there are ${allScenarios.map((s) => s.name).join(', ')}`,
      );
    const scenarios = allScenarios.filter((s) => selected(options, s.name));
    // Let start-up garbage settle before reading the resident set "after start".
    await sleep(1000);
    const rssAfterStart = new Map(servers.map((s) => [s.name, treeRssMb(s.pid)]));

    loadgen = await LoadGenerator.start();
    const measurer = new Measurer(loadgen, baselineUrl, options, { dataDir: sqliteDir, url: livelink.url });
    log(
      `measuring ${scenarios.length} scenarios + baseline: ${options.rounds} rounds of ${options.durationMs} ms at concurrency ${options.concurrency}`,
    );
    const figures = await measurer.rounds(scenarios, options.rounds);
    if (measurer.fsyncRounds.length > 0)
      report.disk = diskFigure(
        measurer.fsyncRounds,
        measurer.commitsPerPairRounds,
        figures.find((f) => f.name === 'link-cycle'),
      );
    for (const s of servers) report.rss_mb[s.name] = { after_start: rssAfterStart.get(s.name) ?? Number.NaN, after_load: treeRssMb(s.pid) };
    report.heap_mb = await heapSpacesMb(livelink.url).catch(() => ({}));
    if (only === undefined && pg !== undefined && livelinkPg !== undefined && database !== undefined && adminUrl !== undefined) {
      // A second node on the same database, pinned beside the first: the load spread over both.
      const second = await serve({ name: 'livelink/postgres (second node)', store: pg.store });
      try {
        log('several nodes: status-reuse on one PostgreSQL node, then over two');
        const job = livelinkScenarios('/postgres', 'postgres', livelinkPg.url, pg.seeded, '').find(
          (s) => s.name === 'status-reuse/postgres',
        );
        if (job === undefined) throw new Error('no status-reuse/postgres scenario');
        report.several_nodes = await measureSeveralNodes({
          loadgen,
          job: { ...job.job, concurrency: options.concurrency, warmupMs: WARMUP_MS, durationMs: options.durationMs } as JobSpec,
          nodes: [
            { url: livelinkPg.url, pid: livelinkPg.process.pid },
            { url: second.url, pid: second.process.pid },
          ],
          adminUrl,
          database: database.name,
          rounds: Math.max(1, options.growthRounds),
        });
      } finally {
        await second.process.stop();
      }
    }
    await Promise.all([livelink.process.stop(), reference.stop(), livelinkPg?.process.stop(), ...peerProcesses.map((p) => p.stop())]);

    const growthFigures: ScenarioFigure[] = [];
    const isolatedFigures: ScenarioFigure[] = [];
    if (growthWanted) {
      for (const size of options.growthSizes) {
        const dir = join(RUN_DIR, `growth-${size}`);
        log(`growth: seeding ${size.toLocaleString('en-US')} linked organizations`);
        const seededGrowth = seedGrowth(templateDir, dir, size);
        report.growth.seed_seconds[String(size)] = Math.round(seededGrowth.seconds * 10) / 10;
        report.growth.database_mb[String(size)] = Math.round(seededGrowth.databaseMb);
        log(
          `growth: ${size.toLocaleString('en-US')} seeded in ${seededGrowth.seconds.toFixed(1)} s (${seededGrowth.databaseMb.toFixed(0)} MB)`,
        );
        const job = {
          kind: 'status-reuse',
          origin: '',
          orgs: { kind: 'range', prefix: GROWTH_ID_PREFIX, count: size },
          key: seeded.global,
        } as const;
        try {
          // First the request path alone (the sync lease held by "another node", so no pass runs here)…
          setSyncLeaseElsewhere(dir, true);
          const isolated = await serve({
            name: `livelink growth ${size} (lease elsewhere)`,
            store: { kind: 'sqlite', dataDir: dir },
            syncIntervalSeconds: 86_400,
          });
          try {
            isolatedFigures.push(
              ...(await measurer.rounds(
                [
                  {
                    name: `growth-request-path/status-reuse/${size}`,
                    database: 'sqlite',
                    unit: 'requests/s',
                    organizations: size,
                    job: { ...job, origin: isolated.url },
                  },
                ],
                options.growthRounds,
              )),
            );
          } finally {
            await isolated.process.stop();
          }
          // …then as one node runs: it holds the lease and its sync loop looks for due organizations every
          // second. A day between pushes: the seeded rows are not due, so no push is made during the run.
          setSyncLeaseElsewhere(dir, false);
          const server = await serve({
            name: `livelink growth ${size}`,
            store: { kind: 'sqlite', dataDir: dir },
            syncIntervalSeconds: 86_400,
          });
          try {
            const afterStart = treeRssMb(server.process.pid);
            growthFigures.push(
              ...(await measurer.rounds(
                [
                  {
                    name: `growth/status-reuse/${size}`,
                    database: 'sqlite',
                    unit: 'requests/s',
                    organizations: size,
                    job: { ...job, origin: server.url },
                  },
                ],
                options.growthRounds,
              )),
            );
            report.rss_mb[`livelink growth ${size.toLocaleString('en-US')}`] = {
              after_start: afterStart,
              after_load: treeRssMb(server.process.pid),
            };
          } finally {
            await server.process.stop();
          }
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }
      const ratio = (figures: ScenarioFigure[]): number | null => {
        const smallest = figures[0];
        const largest = figures.at(-1);
        return smallest === undefined || largest === undefined || figures.length < 2
          ? null
          : Math.round((largest.ratio_to_baseline / smallest.ratio_to_baseline) * 1000) / 1000;
      };
      report.growth.ratio_largest_to_smallest = ratio(growthFigures);
      report.growth.ratio_largest_to_smallest_request_path = ratio(isolatedFigures);
      notes.push(
        'growth: a GLOBAL_OWNER key asks for the status of a uniformly random seeded organization on every request, so the whole table is in play, not one hot row.',
      );
    } else if (only === undefined) notes.push('growth skipped (--no-growth).');

    await baseline.stop();
    await loadgen.stop();
    loadgen = undefined;
    report.scenarios = [
      figure(
        'baseline',
        null,
        'requests/s',
        measurer.baselineResults,
        measurer.baselineResults.map(() => 1),
      ),
      ...figures,
      ...isolatedFigures,
      ...growthFigures,
    ];

    log('start-up times');
    const startupDir = join(RUN_DIR, 'startup');
    copyDataDir(templateDir, startupDir);
    const startups: [string, number, (port: number) => StartOptions, string][] = [
      [
        'livelink',
        options.startupSamples,
        (port) => serveCommand({ name: 'livelink (start-up)', store: { kind: 'sqlite', dataDir: startupDir }, port }),
        '/health',
      ],
      [
        'baseline',
        options.startupSamples,
        (port) => ({ name: 'baseline (start-up)', command: process.execPath, args: [BASELINE_SERVER, String(port)], core: SERVER_CORE }),
        '/',
      ],
    ];
    if (peers !== undefined) {
      const path = statusPath(seeded.source.orgId);
      startups.push(
        [
          'peer-prism',
          options.peerStartupSamples,
          (port) => ({
            name: 'prism (start-up)',
            command: process.execPath,
            args: prismArgs(peers, port),
            core: SERVER_CORE,
            output: 'stderr',
          }),
          path,
        ],
        [
          'peer-mockoon',
          options.peerStartupSamples,
          (port) => ({
            name: 'mockoon (start-up)',
            command: process.execPath,
            args: mockoonArgs(peers, port),
            core: SERVER_CORE,
            output: 'stderr',
          }),
          path,
        ],
      );
    }
    for (const [name, samples, launch, path] of only === undefined ? startups : []) {
      try {
        const times = await measureStartup(samples, launch, path);
        report.startup_ms[name] = Math.round(median(times));
        report.startup_samples_ms[name] = times.map((t) => Math.round(t));
      } catch (error) {
        notes.push(`start-up of ${name} not measured: ${message(error)}`);
      }
    }
  } finally {
    await loadgen?.stop().catch(() => undefined);
    await stopAll();
    await database?.drop().catch((error: unknown) => notes.push(`could not drop ${database?.name}: ${message(error)}`));
  }

  report.targets = checkTargets(report);
  const table = formatTable(report);
  writeFileSync(join(WORK, 'last-run.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(WORK, 'last-run.txt'), `${table}\n`);
  log(`done in ${((performance.now() - began) / 1000).toFixed(0)} s; also written to bench/.work/last-run.{txt,json}`);
  process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : `${table}\n`);
}

/**
 * --profile: each livelink scenario against its own server started under --cpu-prof, then a summary of
 * where the server's CPU went. The baseline is profiled too, as the floor node:http itself costs.
 */
async function profileRun(options: Options): Promise<void> {
  rmSync(RUN_DIR, { recursive: true, force: true });
  mkdirSync(RUN_DIR, { recursive: true });
  const profiles = join(WORK, 'profiles');
  rmSync(profiles, { recursive: true, force: true });
  mkdirSync(profiles, { recursive: true });
  log('building livelink (npm run build)');
  build();
  const templateDir = join(RUN_DIR, 'template');
  const { seeded, linkToken } = await prepareTemplate(templateDir, options);
  const cpuProf = (name: string) => [
    '--cpu-prof',
    '--cpu-prof-dir',
    profiles,
    '--cpu-prof-name',
    `${name}.cpuprofile`,
    '--cpu-prof-interval',
    '250',
  ];
  const loadgen = await LoadGenerator.start();
  const summaries: string[] = [];
  const timing = { concurrency: options.concurrency, warmupMs: 1000, durationMs: options.profileSeconds * 1000 };
  try {
    const summarizeProfile = (name: string, result: LoadResult) => {
      const rate = Math.round(result.operationsPerSecond);
      const window = { fromUs: result.windowStartUs, toUs: result.windowEndUs };
      const text = formatSummary(
        `${name} (${rate}/s under the profiler; the measured window only)`,
        summarize(join(profiles, `${name}.cpuprofile`), 30, window),
        30,
      );
      summaries.push(text);
      log(`profiled ${name}: ${rate}/s`);
    };

    {
      // Start-up: from process start to the listening line (module loading, migrations, listen).
      const dir = join(RUN_DIR, 'profile-startup');
      copyDataDir(templateDir, dir);
      const server = await serve({
        name: 'livelink (start-up, profiled)',
        store: { kind: 'sqlite', dataDir: dir },
        nodeArgs: cpuProf('startup'),
      });
      const listenedUs = Number(process.hrtime.bigint() / 1000n);
      await server.process.stop();
      summaries.push(
        formatSummary(
          'startup (process start → listening line)',
          summarize(join(profiles, 'startup.cpuprofile'), 30, { fromUs: 0, toUs: listenedUs }),
          30,
        ),
      );
      log('profiled start-up');
    }

    const baseline = start({
      name: 'baseline (profiled)',
      command: process.execPath,
      args: [...cpuProf('baseline'), BASELINE_SERVER, '0'],
      core: SERVER_CORE,
    });
    const baselineUrl = (await baseline.waitForLine(/listening on (\S+)/, 10_000))[1] as string;
    const baselineResult = await loadgen.run({ kind: 'plain', origin: baselineUrl, path: statusPath(seeded.source.orgId), ...timing });
    await baseline.stop();
    summarizeProfile('baseline', baselineResult);

    const scenarioNames = ['status-reuse', 'status-challenge', 'unauthenticated', 'link-cycle'].filter((name) => selected(options, name));
    for (const name of scenarioNames) {
      const dir = join(RUN_DIR, `profile-${name}`);
      copyDataDir(templateDir, dir);
      const server = await serve({
        name: `livelink (${name}, profiled)`,
        store: { kind: 'sqlite', dataDir: dir },
        nodeArgs: cpuProf(name),
      });
      const scenario = livelinkScenarios('', 'sqlite', server.url, seeded, linkToken).find((s) => s.name === name);
      if (scenario === undefined) throw new Error(`no scenario ${name}`);
      const result = await loadgen.run({ ...scenario.job, ...timing } as JobSpec);
      // SIGTERM: livelink closes cleanly, and Node writes the profile on a clean exit.
      await server.process.stop();
      summarizeProfile(name, result);
    }

    const adminUrl = postgresAdminUrl();
    const postgresNames = ['status-reuse/postgres', 'link-cycle/postgres'].filter((name) => selected(options, name));
    if (options.postgres && adminUrl !== undefined && postgresNames.length > 0) {
      const database = await createBenchDatabase(adminUrl);
      try {
        const store: Store = { kind: 'postgres', url: database.url, env: postgresKeys(), dataDir: join(RUN_DIR, 'profile-postgres') };
        const pgSeeded = await seed(store, options.concurrency);
        for (const name of postgresNames) {
          const file = name.replace('/', '-');
          const server = await serve({ name: `livelink (${name}, profiled)`, store, nodeArgs: cpuProf(file) });
          const pgToken = await linkThroughApi(server.url, pgSeeded).catch(async (error: unknown) => {
            await server.process.stop();
            throw error;
          });
          const scenario = livelinkScenarios('/postgres', 'postgres', server.url, pgSeeded, pgToken).find((s) => s.name === name);
          if (scenario === undefined) throw new Error(`no scenario ${name}`);
          const result = await loadgen.run({ ...scenario.job, ...timing } as JobSpec);
          // Unlink, so the next server's set-up link starts from the same state.
          await digestCall(server.url, pgSeeded.source, 'DELETE', linkPath(pgSeeded.source.orgId));
          await server.process.stop();
          summarizeProfile(file, result);
        }
      } finally {
        // `with (force)` ends a server's connections if an error left one running.
        await database.drop();
      }
    }

    const largest = options.growthSizes.at(-1);
    if (options.growth && options.scenarios === undefined && largest !== undefined) {
      const dir = join(RUN_DIR, `profile-growth`);
      log(`seeding ${largest.toLocaleString('en-US')} organizations for the growth profile`);
      seedGrowth(templateDir, dir, largest);
      const name = `growth-${largest}`;
      const server = await serve({
        name: `livelink (${name}, profiled)`,
        store: { kind: 'sqlite', dataDir: dir },
        syncIntervalSeconds: 86_400,
        nodeArgs: cpuProf(name),
      });
      const result = await loadgen.run({
        kind: 'status-reuse',
        origin: server.url,
        orgs: { kind: 'range', prefix: GROWTH_ID_PREFIX, count: largest },
        key: seeded.global,
        ...timing,
      });
      await server.process.stop();
      rmSync(dir, { recursive: true, force: true });
      summarizeProfile(name, result);
    }
  } finally {
    await loadgen.stop().catch(() => undefined);
    await stopAll();
  }
  const text = `${summaries.join('\n\n')}\n`;
  writeFileSync(join(profiles, 'summary.txt'), text);
  log(`profiles and summary.txt in ${profiles}`);
  process.stdout.write(text);
}

/**
 * --perf: the baseline, the reference and each livelink scenario on SQLite against its own server,
 * sampled with Linux perf during the measured window. Where --profile charges native calls to the
 * JavaScript frame that made them, this shows the kernel's share, SQLite's C code and V8's builtins.
 */
async function perfRun(options: Options): Promise<void> {
  const unavailable = perfUnavailable();
  if (unavailable !== undefined) throw new Error(unavailable);
  rmSync(RUN_DIR, { recursive: true, force: true });
  mkdirSync(RUN_DIR, { recursive: true });
  const profiles = join(WORK, 'profiles');
  mkdirSync(profiles, { recursive: true });
  log('building livelink (npm run build)');
  build();
  const templateDir = join(RUN_DIR, 'template');
  const { seeded, linkToken } = await prepareTemplate(templateDir, options);
  const loadgen = await LoadGenerator.start();
  const summaries: string[] = [];
  const seconds = options.profileSeconds;
  const warmupMs = 1000;
  try {
    // The load's warm-up runs first; perf records the window after it.
    const sample = async (name: string, pid: number, job: JobSpecBody) => {
      const file = join(profiles, `perf-${name.replace('/', '-')}.data`);
      const load = loadgen.run({ ...job, concurrency: options.concurrency, warmupMs, durationMs: seconds * 1000 } as JobSpec);
      await sleep(warmupMs);
      await perfRecord(pid, seconds, file);
      const result = await load;
      const text = perfSummary(`${name} (${Math.round(result.operationsPerSecond)}/s while sampled)`, file, 40);
      summaries.push(text);
      removePerfMap(pid);
      log(`sampled ${name}: ${Math.round(result.operationsPerSecond)}/s`);
    };
    const key = { publicKey: seeded.source.publicKey, privateKey: seeded.source.privateKey };
    const path = statusPath(seeded.source.orgId);
    for (const [name, server, args] of [
      ['baseline', BASELINE_SERVER, ['0']],
      ['reference', REFERENCE_SERVER, [key.publicKey, key.privateKey, '0']],
    ] as const) {
      if (name === 'reference' && !selected(options, 'reference/status-reuse')) continue;
      const started = start({
        name: `${name} (perf)`,
        command: process.execPath,
        args: [...PERF_NODE_ARGS, server, ...args],
        core: SERVER_CORE,
      });
      const url = (await started.waitForLine(/listening on (\S+)/, 10_000))[1] as string;
      const job: JobSpecBody =
        name === 'baseline'
          ? { kind: 'plain', origin: url, path }
          : { kind: 'status-reuse', origin: url, orgs: { kind: 'list', ids: [seeded.source.orgId] }, key };
      await sample(name === 'baseline' ? name : 'reference/status-reuse', started.pid, job);
      await started.stop();
    }
    for (const name of ['status-reuse', 'status-challenge', 'unauthenticated', 'link-cycle'].filter((n) => selected(options, n))) {
      const dir = join(RUN_DIR, `perf-${name}`);
      copyDataDir(templateDir, dir);
      const server = await serve({ name: `livelink (${name}, perf)`, store: { kind: 'sqlite', dataDir: dir }, nodeArgs: PERF_NODE_ARGS });
      const scenario = livelinkScenarios('', 'sqlite', server.url, seeded, linkToken).find((s) => s.name === name);
      if (scenario === undefined) throw new Error(`no scenario ${name}`);
      await sample(name, server.process.pid, scenario.job);
      await server.process.stop();
    }
  } finally {
    await loadgen.stop().catch(() => undefined);
    await stopAll();
  }
  const text = `${summaries.join('\n\n')}\n`;
  writeFileSync(join(profiles, 'perf-summary.txt'), text);
  log(`perf recordings and perf-summary.txt in ${profiles}`);
  process.stdout.write(text);
}

/** --migration: only the live-migration scenarios; the table (or JSON) and bench/.work/last-migration.{txt,json}. */
async function migrationBench(options: Options): Promise<void> {
  mkdirSync(WORK, { recursive: true });
  const report = await migrationRun(
    {
      documents: options.migrationDocs,
      batchSize: 1000,
      tailSeconds: options.migrationTailSeconds,
      rateSeconds: options.quick ? 3 : 5,
      writeConcurrency: 8,
      profile: options.profile,
      command: `npm run bench -- ${process.argv.slice(2).join(' ')}`,
    },
    log,
  );
  const table = formatMigrationTable(report);
  writeFileSync(join(WORK, 'last-migration.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(WORK, 'last-migration.txt'), `${table}\n`);
  log(`done in ${((performance.now() - began) / 1000).toFixed(0)} s; also written to bench/.work/last-migration.{txt,json}`);
  process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : `${table}\n`);
}

async function main(): Promise<void> {
  installExitGuards();
  // This process only waits while the load runs; on the generator's core it never takes the server's.
  pinSelf(LOADGEN_CORE);
  const options = parseOptions(process.argv.slice(2));
  try {
    if (options.migration) await migrationBench(options);
    else if (options.perf) await perfRun(options);
    else if (options.profile) await profileRun(options);
    else await benchRun(options);
  } finally {
    await stopAll();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
