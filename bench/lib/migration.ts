/**
 * `npm run bench -- --migration`: the live-migration data plane (`runMigration`) against a bare driver
 * copy between the same two SecantusDB servers, in the same run.
 *
 * 1. Two servers, source and destination; the source seeded once with `--migration-docs` small
 *    documents (`insertMany` batches from a worker process).
 * 2. The destination's accepted write rate: the tail's write load, unpaced, against a scratch
 *    database on the destination (dropped after).
 * 3. The bare copy (cursor → `insertMany`, same batch size), the data plane's copy, the bare copy
 *    again: the data plane's throughput is judged against the mean of the two around it. Each copy runs
 *    in a worker process of its own, whose resident set is sampled while it copies; the destination's
 *    database is dropped between copies.
 * 4. The data plane, still running after its copy, tails the source under the write load paced at half
 *    the destination's accepted rate; the lag it reports is sampled. The load stops, cutover is asked
 *    for and timed; the destination is then compared with the source.
 *
 * The processes' CPU over each copy (the copier, each server) says which of them set the pace.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { MongoClient, type Document } from 'mongodb';
import { SECANTUS_BIN } from '../../test/support/mongodb-servers.js';
import { formatSummary, summarize } from './cpuprofile.js';
import { ROOT } from './livelink.js';
import { machineInfo, type MachineInfo } from './machine.js';
import type { CopyResult, FromMigrationWorker, LagSample, MigrationJob, ToMigrationWorker, WriteLoadResult } from './migration-protocol.js';
import { childPids, rssMb, sleep, start, type Started } from './processes.js';
import { formatTargets, type TargetCheck } from './report.js';
import { freePort } from './startup.js';
import { quantile, round } from './stats.js';

const WORKER_SOURCE = fileURLToPath(new URL('./migration-worker.ts', import.meta.url));
const WORK = join(ROOT, 'bench', '.work', 'migration');
/** Under a `dist/` folder, so the profile summaries count it as livelink's own code (bench/lib/cpuprofile.ts). */
const WORKER = join(WORK, 'dist', 'migration-worker.mjs');
const DB = 'bench';
const COLL = 'documents';
const RATE_DB = 'bench_rate';
/** Documents of the scratch collection the destination's write rate is measured on. */
const RATE_DOCUMENTS = 10_000;
/** The tail's write load starts at this _id, far above the seeded ones. */
const INSERT_ID_BASE = 1_000_000_000;
const RSS_SAMPLE_MS = 100;
const LAG_SAMPLE_MS = 100;
/** Targets, as the issue sets them. */
const COPY_RATIO_MIN = 0.7;
const COPY_RSS_MAX_MB = 200;
const LAG_MAX_S = 2;
const CUTOVER_BASE_MS = 2000;

export interface MigrationBenchOptions {
  documents: number;
  batchSize: number;
  /** How long the data plane tails under the write load. */
  tailSeconds: number;
  /** How long the destination's accepted write rate is measured. */
  rateSeconds: number;
  /** Writes in flight, for the rate measurement and the load alike. */
  writeConcurrency: number;
  /** CPU profiles of the copiers (--profile). */
  profile: boolean;
  command: string;
}

export interface CopyFigure {
  name: string;
  documents: number;
  seconds: number;
  documents_per_second: number;
  /** To the mean of the bare copies' rates. */
  ratio_to_bare: number;
  /** The larger of the sampled resident set and the worker's own peak. */
  peak_rss_mb: number;
  sampled_rss_mb: { max: number; median: number; samples: number };
  /** The worker's resident set when it was ready to copy (Node, tsx, the driver and the copier's modules loaded). */
  rss_at_start_mb: number;
  /** Busy time over the copy, in % of one core. */
  cpu_percent: { copier: number; source_server: number; destination_server: number };
}

export interface TailFigures {
  destination_accepts_per_second: number;
  destination_rate_probe: WriteLoadResult;
  source_load_target_per_second: number;
  source_load: WriteLoadResult;
  /** The data plane's own lag figure (whole seconds), sampled while the load ran. */
  lag_max_s: number | null;
  lag_p95_s: number | null;
  lag_samples: number;
  /** Samples with lag 0 (caught up), as a share of all. */
  lag_zero_share: number | null;
  lag_at_stop_s: number | null;
  /**
   * From the end of the copy to the tail's first empty batch. The stream starts at the optime taken
   * before the copy; SecantusDB's first read from an optime takes longer the more its oplog holds.
   */
  catch_up_after_copy_ms: number;
  /** The samples behind the lag figures: [ms since the load started, lag s, changes applied so far]. */
  lag_series: [number, number, number][];
  changes_applied: number;
  cutover_ms: number;
  cutover_limit_ms: number;
  cpu_percent: { data_plane: number; writer: number; source_server: number; destination_server: number };
  destination_matches_source: boolean;
  comparison: { source: Document; destination: Document };
}

export interface MigrationReport {
  machine: MachineInfo;
  settings: {
    documents: number;
    batch_size: number;
    tail_seconds: number;
    rate_seconds: number;
    write_concurrency: number;
    server: string;
    command: string;
  };
  /** `uptime` at the start and at the end: the machine is shared, and this says how busy it was. */
  uptime: { start: string; end: string };
  seed: { documents: number; seconds: number; per_second: number };
  copies: CopyFigure[];
  copy_ratio: number | null;
  tail: TailFigures | null;
  profiles: string[];
  targets: TargetCheck[];
  notes: string[];
}

type Log = (line: string) => void;

interface Server {
  name: string;
  process: Started;
  url: string;
}

export async function migrationRun(options: MigrationBenchOptions, log: Log): Promise<MigrationReport> {
  if (SECANTUS_BIN === undefined) {
    throw new Error(
      'the migration bench needs SecantusDB: run scripts/install-test-servers.sh (or set LIVELINK_SECANTUS_BIN to a secantusd-py)',
    );
  }
  const notes: string[] = [];
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  await bundleWorker();
  const report: MigrationReport = {
    machine: machineInfo(),
    settings: {
      documents: options.documents,
      batch_size: options.batchSize,
      tail_seconds: options.tailSeconds,
      rate_seconds: options.rateSeconds,
      write_concurrency: options.writeConcurrency,
      server: secantusVersion(SECANTUS_BIN),
      command: options.command,
    },
    uptime: { start: uptime(), end: '' },
    seed: { documents: 0, seconds: 0, per_second: 0 },
    copies: [],
    copy_ratio: null,
    tail: null,
    profiles: [],
    targets: [],
    notes,
  };
  const servers: Server[] = [];
  const profiles: PendingProfile[] = [];
  try {
    log('starting the source and destination servers (SecantusDB)');
    const [source, destination] = (await Promise.all([
      startSecantus('source', SECANTUS_BIN),
      startSecantus('destination', SECANTUS_BIN),
    ])) as [Server, Server];
    servers.push(source, destination);
    report.settings.server += `, reports MongoDB ${await serverVersion(source.url)}`;

    log(`seeding the source: ${options.documents.toLocaleString('en-US')} documents in batches of ${options.batchSize}`);
    const seeded = (await runWorker('seed', {
      kind: 'seed',
      url: source.url,
      db: DB,
      coll: COLL,
      count: options.documents,
      batchSize: options.batchSize,
      concurrency: 2,
    })) as { seeded: number; ms: number };
    report.seed = {
      documents: seeded.seeded,
      seconds: round(seeded.ms / 1000, 1),
      per_second: Math.round((seeded.seeded / seeded.ms) * 1000),
    };
    log(`seeded in ${report.seed.seconds} s (${report.seed.per_second.toLocaleString('en-US')}/s)`);

    log(`the destination's accepted write rate: ${options.writeConcurrency} writes in flight for ${options.rateSeconds} s`);
    await runWorker('rate seed', {
      kind: 'seed',
      url: destination.url,
      db: RATE_DB,
      coll: COLL,
      count: RATE_DOCUMENTS,
      batchSize: options.batchSize,
      concurrency: 1,
    });
    const probe = (await runWorker('rate probe', {
      kind: 'write-load',
      url: destination.url,
      db: RATE_DB,
      coll: COLL,
      existingIds: RATE_DOCUMENTS,
      insertIdBase: INSERT_ID_BASE,
      concurrency: options.writeConcurrency,
      durationMs: options.rateSeconds * 1000,
    })) as WriteLoadResult;
    await dropDatabase(destination.url, RATE_DB);
    log(`the destination accepts ${Math.round(probe.perSecond).toLocaleString('en-US')} writes/s`);

    const copies: { name: string; copy: CopyResult; sampled: number[]; atStart: number; cpu: CpuSpan }[] = [];
    const bare = async (name: string) => {
      log(`${name}: cursor → insertMany, batches of ${options.batchSize}`);
      const worker = startWorker(name, options.profile ? profileArgs(name) : []);
      const sampler = new RssSampler(worker.process.pid);
      const done = worker.run({
        kind: 'bare-copy',
        source: source.url,
        destination: destination.url,
        db: DB,
        coll: COLL,
        batchSize: options.batchSize,
      });
      // Awaited below; until then a failure must not count as unhandled.
      done.catch(() => undefined);
      await worker.next('ready');
      const atStart = rssMb(worker.process.pid);
      const cpu = new CpuSpan([source.process.pid, destination.process.pid]);
      const copy = (await done) as CopyResult;
      cpu.end();
      copies.push({ name, copy, sampled: sampler.stop(), atStart, cpu });
      log(`${name}: ${copy.documents.toLocaleString('en-US')} documents in ${(copy.ms / 1000).toFixed(1)} s`);
      if (options.profile) profiles.push({ title: name, file: profileFile(name), copy });
      await dropDatabase(destination.url, DB);
    };

    await bare('bare-copy (before)');

    log(`data plane: runMigration, batches of ${options.batchSize}`);
    const worker = startWorker('data-plane', options.profile ? profileArgs('data-plane') : []);
    const sampler = new RssSampler(worker.process.pid);
    const lag: LagSample[] = [];
    worker.on('lag', (message) => lag.push(message.sample));
    const copied = worker.next('copied');
    const done = worker.run({
      kind: 'data-plane',
      source: source.url,
      destination: destination.url,
      checkpointFile: join(WORK, 'checkpoint.json'),
      batchSize: options.batchSize,
      lagSampleMs: LAG_SAMPLE_MS,
    });
    // Awaited below; until then a failure must not count as unhandled.
    done.catch(() => undefined);
    await worker.next('ready');
    const atStart = rssMb(worker.process.pid);
    const copyCpu = new CpuSpan([source.process.pid, destination.process.pid]);
    const copy = (await copied).copy;
    copyCpu.end();
    copies.push({ name: 'data-plane', copy, sampled: sampler.stop(), atStart, cpu: copyCpu });
    log(`data-plane: ${copy.documents.toLocaleString('en-US')} documents in ${(copy.ms / 1000).toFixed(1)} s; now tailing`);
    if (options.profile) profiles.push({ title: 'data-plane', file: profileFile('data-plane'), copy });

    // The load starts once the tail has caught up with the copy's time (its first empty batch), so the
    // lag measured is the steady tail's; how long that first catch-up took is a figure of its own.
    const copiedAt = performance.now();
    await worker.nextWhere('lag', (message) => message.sample.caughtUp);
    const catchUpMs = performance.now() - copiedAt;
    log(`tail: caught up ${(catchUpMs / 1000).toFixed(1)} s after the copy`);
    await sleep(1000);
    const target = Math.max(1, Math.round(probe.perSecond / 2));
    log(`tail: a write load of ${target.toLocaleString('en-US')} writes/s on the source for ${options.tailSeconds} s`);
    const writer = startWorker('source write load', []);
    const tailCpu = new CpuSpan([worker.process.pid, writer.process.pid, source.process.pid, destination.process.pid]);
    const loadDone = writer.run({
      kind: 'write-load',
      url: source.url,
      db: DB,
      coll: COLL,
      existingIds: options.documents,
      insertIdBase: INSERT_ID_BASE,
      concurrency: options.writeConcurrency,
      ratePerSecond: target,
    });
    // Awaited below; until then a failure must not count as unhandled.
    loadDone.catch(() => undefined);
    await writer.next('ready');
    const loadFrom = Date.now();
    await sleep(options.tailSeconds * 1000);
    writer.send({ type: 'stop' });
    const load = (await loadDone) as WriteLoadResult;
    const loadTo = Date.now();
    tailCpu.end();
    const during = lag.filter((sample) => sample.at >= loadFrom && sample.at <= loadTo && sample.lagSeconds !== null);
    const lagAtStop = lag.at(-1)?.lagSeconds ?? null;
    log(`tail: ${Math.round(load.perSecond).toLocaleString('en-US')} writes/s achieved; asking for cutover (lag ${lagAtStop ?? '?'} s)`);
    const cutover = worker.next('cutover');
    worker.send({ type: 'cutover' });
    const cut = await cutover;
    const outcome = (await done) as { outcome: string };
    if (outcome.outcome !== 'COMPLETE') throw new Error(`the data plane ended ${outcome.outcome}`);
    log(`cutover in ${Math.round(cut.ms)} ms; comparing the destination with the source`);
    const [sourceSummary, destinationSummary] = await Promise.all([summarizeCollection(source.url), summarizeCollection(destination.url)]);
    const lags = during.map((sample) => sample.lagSeconds as number);
    report.tail = {
      destination_accepts_per_second: Math.round(probe.perSecond),
      destination_rate_probe: roundLoad(probe),
      source_load_target_per_second: target,
      source_load: roundLoad(load),
      lag_max_s: lags.length === 0 ? null : Math.max(...lags),
      lag_p95_s: lags.length === 0 ? null : round(quantile(lags, 0.95), 2),
      lag_samples: lags.length,
      lag_zero_share: lags.length === 0 ? null : round(lags.filter((value) => value === 0).length / lags.length, 3),
      lag_at_stop_s: lagAtStop,
      catch_up_after_copy_ms: Math.round(catchUpMs),
      lag_series: during.map((sample) => [sample.at - loadFrom, sample.lagSeconds as number, sample.changesApplied]),
      changes_applied: cut.changesApplied,
      cutover_ms: Math.round(cut.ms),
      cutover_limit_ms: CUTOVER_BASE_MS + (lagAtStop ?? 0) * 1000,
      cpu_percent: {
        data_plane: tailCpu.percent(0),
        writer: tailCpu.percent(1),
        source_server: tailCpu.percent(2),
        destination_server: tailCpu.percent(3),
      },
      destination_matches_source: JSON.stringify(sourceSummary) === JSON.stringify(destinationSummary),
      comparison: { source: sourceSummary, destination: destinationSummary },
    };
    if (load.perSecond < target * 0.95) {
      notes.push(
        `the source load reached ${Math.round(load.perSecond)} of the ${target} writes/s asked for: the source server (or the machine) could not take more beside the tail`,
      );
    }
    await dropDatabase(destination.url, DB);

    await bare('bare-copy (after)');
    notes.push(
      "bare-copy (after) copies the source as the tail's write load left it (its inserts and deletes included); rates are per document copied.",
    );

    const bareRates = copies.filter((entry) => entry.name.startsWith('bare-copy')).map((entry) => rate(entry.copy));
    const bareMean = bareRates.reduce((sum, value) => sum + value, 0) / bareRates.length;
    report.copies = copies.map(({ name, copy, sampled, atStart, cpu }) => ({
      name,
      documents: copy.documents,
      seconds: round(copy.ms / 1000, 2),
      documents_per_second: Math.round(rate(copy)),
      ratio_to_bare: round(rate(copy) / bareMean, 3),
      peak_rss_mb: round(Math.max(copy.maxRssMb, ...sampled), 1),
      sampled_rss_mb: {
        max: sampled.length === 0 ? Number.NaN : round(Math.max(...sampled), 1),
        median: round(quantile(sampled, 0.5), 1),
        samples: sampled.length,
      },
      rss_at_start_mb: round(atStart, 1),
      cpu_percent: {
        copier: Math.round((copy.cpuMs / copy.ms) * 100),
        source_server: cpu.percent(0),
        destination_server: cpu.percent(1),
      },
    }));
    report.copy_ratio = report.copies.find((entry) => entry.name === 'data-plane')?.ratio_to_bare ?? null;
    notes.push(
      'each copier is a worker process of its own: plain node running bench/lib/migration-worker.ts bundled with esbuild (the data plane from src/, the driver from node_modules).',
      'servers and workers are not pinned: two SecantusDB processes, the copier, and for the tail the writer share the two cores.',
      "lag is the data plane's own figure (`progress().lagSeconds`): whole seconds of the source's cluster time, 0 once the stream's last batch was empty.",
    );
    if (options.profile)
      notes.push('--profile: the copiers ran under --cpu-prof, which slows them; the ratios of a profiled run are not the figures.');
  } finally {
    await stopWorkers();
    await Promise.allSettled(servers.map((server) => server.process.stop()));
    report.uptime.end = uptime();
    report.profiles = summarizeProfiles(profiles);
    // The servers' storage goes; profiles stay for a closer look.
    for (const entry of ['source', 'destination', 'checkpoint.json']) rmSync(join(WORK, entry), { recursive: true, force: true });
  }
  report.targets = checkMigrationTargets(report);
  return report;
}

function rate(copy: CopyResult): number {
  return (copy.documents / copy.ms) * 1000;
}

function roundLoad(load: WriteLoadResult): WriteLoadResult {
  return {
    ...load,
    ms: Math.round(load.ms),
    perSecond: Math.round(load.perSecond),
    p50Ms: round(load.p50Ms, 2),
    p99Ms: round(load.p99Ms, 2),
    maxBehindMs: Math.round(load.maxBehindMs),
  };
}

export function checkMigrationTargets(report: MigrationReport): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const plane = report.copies.find((entry) => entry.name === 'data-plane');
  const documents = report.settings.documents.toLocaleString('en-US');
  checks.push({
    target: `initial copy of ${documents} documents, data plane vs bare driver copy`,
    required: `≥ ${COPY_RATIO_MIN} × bare`,
    measured: report.copy_ratio === null ? 'not measured' : `${report.copy_ratio.toFixed(3)} × bare`,
    holds: report.copy_ratio === null ? null : report.copy_ratio >= COPY_RATIO_MIN,
  });
  checks.push({
    target: 'data plane resident memory while copying (peak)',
    required: `≤ ${COPY_RSS_MAX_MB} MB`,
    measured: plane === undefined ? 'not measured' : `${plane.peak_rss_mb.toFixed(1)} MB`,
    holds: plane === undefined ? null : plane.peak_rss_mb <= COPY_RSS_MAX_MB,
  });
  const tail = report.tail;
  checks.push({
    target: 'tail lag under a source load at half the destination rate (max)',
    required: `≤ ${LAG_MAX_S} s`,
    measured: tail === null || tail.lag_max_s === null ? 'not measured' : `max ${tail.lag_max_s} s, p95 ${tail.lag_p95_s ?? '?'} s`,
    holds: tail === null || tail.lag_max_s === null ? null : tail.lag_max_s <= LAG_MAX_S,
  });
  checks.push({
    target: 'cutover after writes stop',
    required: `≤ 2 s + the lag (${tail === null ? '?' : `${tail.cutover_limit_ms} ms`})`,
    measured: tail === null ? 'not measured' : `${tail.cutover_ms} ms (lag at stop ${tail.lag_at_stop_s ?? '?'} s)`,
    holds: tail === null ? null : tail.cutover_ms <= tail.cutover_limit_ms,
  });
  checks.push({
    target: 'destination identical to the source after cutover (count, Σ revision, Σ _id)',
    required: 'equal',
    measured: tail === null ? 'not measured' : tail.destination_matches_source ? 'equal' : 'different',
    holds: tail === null ? null : tail.destination_matches_source,
  });
  return checks;
}

export function formatMigrationTable(report: MigrationReport): string {
  const m = report.machine;
  const s = report.settings;
  const lines: string[] = [
    `machine: ${m.nproc} cores, ${m.cpu_model}, ${m.memory_gb} GB, ${m.os}, Linux ${m.kernel}, Node ${m.node}`,
    `uptime at start: ${report.uptime.start}`,
    `uptime at end:   ${report.uptime.end}`,
    `server: ${s.server}; source and destination one process each, unpinned`,
    `settings: ${s.documents.toLocaleString('en-US')} documents, batches of ${s.batch_size}; tail ${s.tail_seconds} s with ${s.write_concurrency} writes in flight`,
    `command: ${s.command}`,
    `seed: ${report.seed.documents.toLocaleString('en-US')} documents in ${report.seed.seconds} s (${report.seed.per_second.toLocaleString('en-US')}/s, insertMany, 2 in flight)`,
    '',
  ];
  const header = [
    'initial copy',
    'documents',
    'seconds',
    'docs/s',
    '× bare',
    'RSS MB start',
    'peak',
    'CPU % copier',
    'source',
    'destination',
  ];
  const rows = report.copies.map((c) => [
    c.name,
    c.documents.toLocaleString('en-US'),
    c.seconds.toFixed(1),
    c.documents_per_second.toLocaleString('en-US'),
    c.ratio_to_bare.toFixed(3),
    c.rss_at_start_mb.toFixed(1),
    c.peak_rss_mb.toFixed(1),
    String(c.cpu_percent.copier),
    String(c.cpu_percent.source_server),
    String(c.cpu_percent.destination_server),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  lines.push(line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line), '');
  const t = report.tail;
  if (t !== null) {
    const n = (value: number) => value.toLocaleString('en-US');
    lines.push(
      'tail and cutover:',
      `  first catch-up            ${n(t.catch_up_after_copy_ms)} ms after the copy ended (the stream's first read from the optime taken before the copy)`,
      `  destination accepts       ${n(t.destination_accepts_per_second)} writes/s (4 inserts, 4 updates, 2 deletes in 10; ${s.write_concurrency} in flight; p50 ${t.destination_rate_probe.p50Ms} ms)`,
      `  source load               ${n(t.source_load_target_per_second)} writes/s asked, ${n(t.source_load.perSecond)} achieved over ${(t.source_load.ms / 1000).toFixed(1)} s (p50 ${t.source_load.p50Ms} ms, p99 ${t.source_load.p99Ms} ms, worst ${n(t.source_load.maxBehindMs)} ms behind schedule)`,
      `  lag (data plane's figure) max ${t.lag_max_s ?? '?'} s, p95 ${t.lag_p95_s ?? '?'} s, 0 in ${t.lag_zero_share === null ? '?' : `${Math.round(t.lag_zero_share * 100)} %`} of ${t.lag_samples} samples (every ${LAG_SAMPLE_MS} ms)`,
      `  CPU % during the load     data plane ${t.cpu_percent.data_plane}, writer ${t.cpu_percent.writer}, source ${t.cpu_percent.source_server}, destination ${t.cpu_percent.destination_server}`,
      `  cutover                   ${n(t.cutover_ms)} ms after the writes stopped with lag ${t.lag_at_stop_s ?? '?'} s (limit ${n(t.cutover_limit_ms)} ms); ${n(t.changes_applied)} changes applied`,
      `  destination vs source     ${t.destination_matches_source ? 'equal' : 'DIFFERENT'}: ${JSON.stringify(t.comparison.destination)}`,
      '',
    );
  }
  lines.push('targets:', ...formatTargets(report.targets));
  if (report.notes.length > 0) lines.push('', 'notes:', ...report.notes.map((note) => `  - ${note}`));
  if (report.profiles.length > 0) lines.push('', ...report.profiles);
  return lines.join('\n');
}

// --- servers -------------------------------------------------------------------------------------

async function startSecantus(name: string, bin: string): Promise<Server> {
  const folder = join(WORK, name);
  mkdirSync(folder, { recursive: true });
  // An explicit (empty) configuration: without one the server reads a secantusd.toml from the working folder or home.
  const config = join(folder, 'secantusd.toml');
  writeFileSync(config, '');
  const port = await freePort();
  const started = start({
    name: `SecantusDB (${name})`,
    command: bin,
    args: [
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
    cwd: folder,
  });
  const deadline = performance.now() + 30_000;
  for (;;) {
    if (started.child.exitCode !== null) throw new Error(`${started.name} exited while starting\n${started.tail()}`);
    const client = new MongoClient(`mongodb://127.0.0.1:${port}/?directConnection=true`, {
      serverSelectionTimeoutMS: 250,
      connectTimeoutMS: 250,
    });
    try {
      const hello = await client.db('admin').command({ hello: 1 });
      if (hello['isWritablePrimary'] === true) break;
    } catch {
      // Not listening yet.
    } finally {
      await client.close();
    }
    if (performance.now() > deadline) throw new Error(`${started.name} did not answer hello within 30 s\n${started.tail()}`);
    await sleep(100);
  }
  return { name, process: started, url: `mongodb://127.0.0.1:${port}/?replicaSet=secantus` };
}

function secantusVersion(bin: string): string {
  const python = join(bin, '..', 'python');
  const probe = spawnSync(python, ['-c', 'import importlib.metadata as m; print(m.version("SecantusDB"))'], { encoding: 'utf8' });
  return probe.status === 0 ? `SecantusDB ${probe.stdout.trim()} (secantusd-py)` : `SecantusDB (${bin})`;
}

async function serverVersion(url: string): Promise<string> {
  const client = new MongoClient(url);
  try {
    return String((await client.db('admin').command({ buildInfo: 1 }))['version']);
  } finally {
    await client.close();
  }
}

async function dropDatabase(url: string, db: string): Promise<void> {
  const client = new MongoClient(url);
  try {
    await client.db(db).dropDatabase();
  } finally {
    await client.close();
  }
}

/** Enough to tell whether every insert, update and delete arrived: the count, Σ revision, Σ _id. */
async function summarizeCollection(url: string): Promise<Document> {
  const client = new MongoClient(url);
  try {
    const [summary] = await client
      .db(DB)
      .collection(COLL)
      .aggregate([{ $group: { _id: null, count: { $sum: 1 }, revisions: { $sum: '$revision' }, ids: { $sum: '$_id' } } }])
      .toArray();
    const { _id: _ignored, ...figures } = summary ?? { _id: null, count: 0 };
    return figures;
  } finally {
    await client.close();
  }
}

// --- workers -------------------------------------------------------------------------------------

type Message<T extends FromMigrationWorker['type']> = Extract<FromMigrationWorker, { type: T }>;

interface Worker {
  process: Started;
  /** Sends the job; resolves with its result, rejects when the worker fails or exits first. */
  run(job: MigrationJob): Promise<unknown>;
  send(message: ToMigrationWorker): void;
  on<T extends FromMigrationWorker['type']>(type: T, listener: (message: Message<T>) => void): void;
  /** The next message of this type; rejects when the worker fails or exits first. */
  next<T extends FromMigrationWorker['type']>(type: T): Promise<Message<T>>;
  /** The next message of this type that satisfies `predicate`. */
  nextWhere<T extends FromMigrationWorker['type']>(type: T, predicate: (message: Message<T>) => boolean): Promise<Message<T>>;
}

const workers = new Set<Started>();

/**
 * The worker as one plain ES module (the data plane and the bench's worker code; the driver stays in
 * node_modules), run by plain node: its resident set is Node, the driver and the copier, without
 * tsx's loader thread and its compiled sources (about 27 MB).
 */
async function bundleWorker(): Promise<void> {
  await build({
    entryPoints: [WORKER_SOURCE],
    outfile: WORKER,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
  });
}

function startWorker(name: string, nodeArgs: readonly string[]): Worker {
  const started = start({ name, command: process.execPath, args: [...nodeArgs, WORKER], ipc: true });
  workers.add(started);
  started.child.once('exit', () => workers.delete(started));
  const worker: Worker = {
    process: started,
    run(job) {
      return new Promise((resolve, reject) => {
        const onMessage = (message: FromMigrationWorker) => {
          if (message.type === 'result') resolve(message.result);
          else if (message.type === 'failed') reject(new Error(`${name}: ${message.message}`));
        };
        started.child.on('message', onMessage);
        started.child.once('exit', (code) => reject(new Error(`${name} exited (${code})\n${started.tail()}`)));
        worker.send({ type: 'job', job });
      });
    },
    send(message) {
      started.child.send(message);
    },
    on(type, listener) {
      started.child.on('message', (message: FromMigrationWorker) => {
        if (message.type === type) listener(message as Message<typeof type>);
      });
    },
    next(type) {
      return worker.nextWhere(type, () => true);
    },
    nextWhere(type, predicate) {
      return new Promise((resolve, reject) => {
        const onExit = (code: number | null) => finish(() => reject(new Error(`${name} exited (${code}) before sending ${type}`)));
        const onMessage = (message: FromMigrationWorker) => {
          if (message.type === 'failed') finish(() => reject(new Error(`${name}: ${message.message}`)));
          else if (message.type === type && predicate(message as Message<typeof type>))
            finish(() => resolve(message as Message<typeof type>));
        };
        const finish = (then: () => void) => {
          started.child.off('message', onMessage);
          started.child.off('exit', onExit);
          then();
        };
        started.child.on('message', onMessage);
        started.child.once('exit', onExit);
      });
    },
  };
  return worker;
}

async function runWorker(name: string, job: MigrationJob): Promise<unknown> {
  const worker = startWorker(name, []);
  return worker.run(job);
}

async function stopWorkers(): Promise<void> {
  await Promise.allSettled([...workers].map((worker) => worker.stop()));
}

function profileFile(name: string): string {
  return join(WORK, 'profiles', `${name.replace(/[^a-z0-9-]+/gi, '-').replace(/-+$/, '')}.cpuprofile`);
}

function profileArgs(name: string): string[] {
  const file = profileFile(name);
  return ['--cpu-prof', '--cpu-prof-dir', join(file, '..'), '--cpu-prof-name', file.slice(file.lastIndexOf('/') + 1)];
}

interface PendingProfile {
  title: string;
  file: string;
  copy: CopyResult;
}

/** The copy's span of a worker's profile (the data plane's runs on through the tail); read once the worker has exited and written it. */
function summarizeProfiles(pending: readonly PendingProfile[]): string[] {
  return pending.map(({ title, file, copy }) => {
    try {
      return formatSummary(`${title}, the copy only (${file})`, summarize(file, 25, { fromUs: copy.fromUs, toUs: copy.toUs }), 25);
    } catch (error) {
      return `${title}: no profile (${error instanceof Error ? error.message : String(error)})`;
    }
  });
}

// --- sampling ------------------------------------------------------------------------------------

/** The resident set of one process, every RSS_SAMPLE_MS, until stopped. */
class RssSampler {
  private readonly samples: number[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(pid: number) {
    this.timer = setInterval(() => {
      const mb = rssMb(pid);
      if (Number.isFinite(mb)) this.samples.push(mb);
    }, RSS_SAMPLE_MS);
  }

  stop(): number[] {
    clearInterval(this.timer);
    return this.samples;
  }
}

const CLOCK_TICKS = (() => {
  const probe = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const ticks = Number(probe.stdout?.trim());
  return Number.isFinite(ticks) && ticks > 0 ? ticks : 100;
})();

/** user + system CPU seconds of a process and its descendants (all threads), from /proc. */
function cpuSeconds(pid: number): number {
  let total = 0;
  try {
    // Fields after the command's closing parenthesis: state is the 3rd field, utime the 14th, stime the 15th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    total += (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
  return total + childPids(pid).reduce((sum, child) => sum + cpuSeconds(child), 0);
}

/** CPU of a set of processes over a span of wall time, in % of one core each. */
class CpuSpan {
  private readonly from: number[];
  private readonly began = performance.now();
  private to: number[] | undefined;
  private ended = 0;

  constructor(private readonly pids: readonly number[]) {
    this.from = pids.map(cpuSeconds);
  }

  end(): void {
    this.to = this.pids.map(cpuSeconds);
    this.ended = performance.now();
  }

  percent(index: number): number {
    const wall = (this.ended - this.began) / 1000;
    const used = (this.to?.[index] ?? 0) - (this.from[index] ?? 0);
    return wall <= 0 ? Number.NaN : Math.round((used / wall) * 100);
  }
}

function uptime(): string {
  const probe = spawnSync('uptime', [], { encoding: 'utf8' });
  if (probe.status === 0) return probe.stdout.trim();
  return `load average ${os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(', ')}`;
}
