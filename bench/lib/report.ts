/** The run's figures as the JSON document and the table, and which targets they meet. */
import type { MachineInfo } from './machine.js';
import type { LoadResult } from './protocol.js';
import { median, round } from './stats.js';
import { severalNodesLines, type SeveralNodesFigure } from './several-nodes.js';

export type Unit = 'requests/s' | 'operations/s' | 'pairs/s';

export interface ScenarioFigure {
  name: string;
  rps: number;
  p50_ms: number;
  p99_ms: number;
  ratio_to_baseline: number;
  database: 'sqlite' | 'postgres' | null;
  /** What `rps` counts: requests, operations of two requests (challenge + answer), or POST + DELETE pairs. */
  unit: Unit;
  requests_per_operation: number;
  /** Organizations in the database (growth only). */
  organizations?: number;
  rounds_rps: number[];
  rounds_ratio: number[];
  /** Median CPU of the load generator in % of its core: near 100 would mean the generator was the limit. */
  loadgen_cpu_percent: number;
  /** Answers other than the expected ones, summed over the measured windows. */
  unexpected: Record<string, number>;
}

export interface TargetCheck {
  target: string;
  required: string;
  measured: string;
  /** null: not measured in this run (a peer or PostgreSQL missing, growth skipped). */
  holds: boolean | null;
}

export interface BenchReport {
  machine: MachineInfo;
  settings: { rounds: number; growth_rounds: number; duration_ms: number; concurrency: number; command: string };
  scenarios: ScenarioFigure[];
  growth: {
    sizes: number[];
    /** As one node runs (its sync loop looking for due organizations every second): the target's figure. */
    ratio_largest_to_smallest: number | null;
    /** The request path alone: the sync lease held by another node, so no sync pass runs on this one. */
    ratio_largest_to_smallest_request_path: number | null;
    seed_seconds: Record<string, number>;
    database_mb: Record<string, number>;
  };
  startup_ms: Record<string, number>;
  startup_samples_ms: Record<string, number[]>;
  rss_mb: Record<string, { after_start: number; after_load: number }>;
  /** livelink's (SQLite) V8 heap spaces after the load: committed MB each, and `<space> used`. */
  heap_mb?: Record<string, number>;
  /** The disk's flush rate beside link-cycle (SQLite): the limit of one fsync per POST + DELETE pair. */
  disk?: DiskFigure;
  /** Two nodes on one PostgreSQL against one, and the CPU costs per request on each side. */
  several_nodes?: SeveralNodesFigure;
  targets: TargetCheck[];
  notes: string[];
}

export interface DiskFigure {
  /** fsyncs per second of 4,120-byte writes in SQLite's data folder, measured after each link-cycle window. */
  fsync_per_second: number;
  rounds_fsync_per_second: number[];
  /** Median over rounds of link-cycle's pairs/s over the fsync rate measured right after that window. */
  link_cycle_share: number;
  /** Median over rounds of link-cycle's COMMITs (on SQLite, fsyncs of the WAL) per pair. */
  commits_per_pair: number;
}

/** The fsync rate of each round, and link-cycle's pairs against it round by round. */
export function diskFigure(
  fsyncRounds: readonly number[],
  commitsPerPairRounds: readonly number[],
  linkCycle: ScenarioFigure | undefined,
): DiskFigure {
  const shares = fsyncRounds.map((rate, i) => (linkCycle?.rounds_rps[i] ?? Number.NaN) / rate);
  return {
    fsync_per_second: round(median(fsyncRounds), 0),
    rounds_fsync_per_second: fsyncRounds.map((r) => round(r, 0)),
    link_cycle_share: round(median(shares.filter(Number.isFinite)), 3),
    commits_per_pair: round(median(commitsPerPairRounds.filter(Number.isFinite)), 2),
  };
}

/** A scenario's rounds, each with the ratio to the baseline windows measured right before and after it. */
export function figure(
  name: string,
  database: ScenarioFigure['database'],
  unit: Unit,
  results: readonly LoadResult[],
  ratios: readonly number[],
  organizations?: number,
): ScenarioFigure {
  const unexpected: Record<string, number> = {};
  for (const result of results)
    for (const [label, count] of Object.entries(result.unexpected)) unexpected[label] = (unexpected[label] ?? 0) + count;
  const operations = results.reduce((sum, r) => sum + r.operations, 0);
  const requests = results.reduce((sum, r) => sum + r.requests, 0);
  return {
    name,
    rps: round(median(results.map((r) => r.operationsPerSecond)), 0),
    p50_ms: round(median(results.map((r) => r.p50Ms)), 3),
    p99_ms: round(median(results.map((r) => r.p99Ms)), 3),
    ratio_to_baseline: round(median(ratios), 3),
    database,
    unit,
    requests_per_operation: round(operations === 0 ? Number.NaN : requests / operations, 2),
    ...(organizations === undefined ? {} : { organizations }),
    rounds_rps: results.map((r) => round(r.operationsPerSecond, 0)),
    rounds_ratio: ratios.map((r) => round(r, 3)),
    loadgen_cpu_percent: round(median(results.map((r) => r.loadgenCpuPercent)), 0),
    unexpected,
  };
}

function find(report: BenchReport, name: string): ScenarioFigure | undefined {
  return report.scenarios.find((s) => s.name === name);
}

/** The issue's targets, each judged on ratios from this run. */
export function checkTargets(report: BenchReport): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const ratioTarget = (scenario: string, minimum: number, what: string) => {
    const s = find(report, scenario);
    checks.push({
      target: `${scenario} ${what}`,
      required: `≥ ${minimum} × baseline`,
      measured: s === undefined ? 'not measured' : `${s.ratio_to_baseline.toFixed(3)} × baseline`,
      holds: s === undefined || !Number.isFinite(s.ratio_to_baseline) ? null : s.ratio_to_baseline >= minimum,
    });
  };
  for (const suffix of ['', '/postgres']) {
    if (suffix !== '' && find(report, `status-reuse${suffix}`) === undefined) continue;
    ratioTarget(`status-reuse${suffix}`, 0.45, 'requests/s');
    ratioTarget(`status-challenge${suffix}`, 0.25, 'operations/s (2 requests each)');
    ratioTarget(`unauthenticated${suffix}`, 0.55, 'requests/s');
    ratioTarget(`link-cycle${suffix}`, 0.05, 'pairs/s');
  }
  const reuse = find(report, 'status-reuse');
  for (const peer of ['peer-prism', 'peer-mockoon']) {
    const p = find(report, peer);
    // Both are ratios to the same baseline windows, so their quotient is the same-run speed-up.
    const times = reuse === undefined || p === undefined ? Number.NaN : reuse.ratio_to_baseline / p.ratio_to_baseline;
    checks.push({
      target: `status-reuse (authenticated) vs ${peer} (no auth)`,
      required: '≥ 10 ×',
      measured: Number.isFinite(times) ? `${times.toFixed(1)} ×` : 'not measured',
      holds: Number.isFinite(times) ? times >= 10 : null,
    });
  }
  const startup = report.startup_ms['livelink'];
  checks.push({
    target: 'livelink start-up (median)',
    required: '≤ 250 ms',
    measured: startup === undefined ? 'not measured' : `${startup.toFixed(0)} ms`,
    holds: startup === undefined ? null : startup <= 250,
  });
  for (const [name, rss] of Object.entries(report.rss_mb)) {
    if (!name.startsWith('livelink')) continue;
    checks.push({
      target: `${name} resident memory after the load`,
      required: '≤ 100 MB',
      measured: `${rss.after_load.toFixed(1)} MB`,
      holds: rss.after_load <= 100,
    });
  }
  checks.push(...scaleOutTargets(report));
  const growth = report.growth.ratio_largest_to_smallest;
  const [smallest, largest] = [report.growth.sizes[0], report.growth.sizes.at(-1)];
  checks.push({
    // Without growth in the run (--no-growth, --scenarios) there are no sizes to name.
    target:
      smallest === undefined || largest === undefined
        ? 'growth: status-reuse at the largest vs the smallest organization count'
        : `growth: status-reuse at ${largest.toLocaleString('en-US')} vs ${smallest.toLocaleString('en-US')} organizations`,
    required: 'within 10 % (0.90–1.10)',
    measured: growth === null ? 'not measured' : `${growth.toFixed(3)}`,
    holds: growth === null ? null : growth >= 0.9 && growth <= 1.1,
  });
  return checks;
}

/** `a` over `b`, both ratios to the same baseline windows: their quotient is the same-run ratio of a to b. */
function relativeTarget(
  target: string,
  a: ScenarioFigure | undefined,
  b: ScenarioFigure | undefined,
  minimum: number,
  of: string,
): TargetCheck {
  const quotient = a === undefined || b === undefined ? Number.NaN : a.ratio_to_baseline / b.ratio_to_baseline;
  return {
    target,
    required: `≥ ${minimum} × ${of}`,
    measured: Number.isFinite(quotient) ? `${quotient.toFixed(3)} × ${of}` : 'not measured',
    holds: Number.isFinite(quotient) ? quotient >= minimum : null,
  };
}

/**
 * The targets of the issue "Performance: scale-out without the 5× penalty" (each a ratio within this run):
 * the status path against the baseline and the reference, PostgreSQL against SQLite, memory against the
 * baseline's, growth.
 */
function scaleOutTargets(report: BenchReport): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const atLeast = (scenario: string, minimum: number): TargetCheck => {
    const s = find(report, scenario);
    const ratio = s?.ratio_to_baseline ?? Number.NaN;
    return {
      target: `[scale-out] ${scenario}`,
      required: `≥ ${minimum} × baseline`,
      measured: Number.isFinite(ratio) ? `${ratio.toFixed(3)} × baseline` : 'not measured',
      holds: Number.isFinite(ratio) ? ratio >= minimum : null,
    };
  };
  const reuse = find(report, 'status-reuse');
  checks.push(atLeast('status-reuse', 0.3));
  checks.push(
    relativeTarget('[scale-out] status-reuse vs reference/status-reuse', reuse, find(report, 'reference/status-reuse'), 0.6, 'reference'),
  );
  checks.push(atLeast('status-challenge', 0.15));
  if (find(report, 'status-reuse/postgres') !== undefined) {
    checks.push(atLeast('status-reuse/postgres', 0.15));
    checks.push(
      relativeTarget(
        '[scale-out] status-reuse/postgres vs status-reuse (SQLite)',
        find(report, 'status-reuse/postgres'),
        reuse,
        0.5,
        'SQLite',
      ),
    );
  }
  const share = report.disk?.link_cycle_share ?? Number.NaN;
  checks.push({
    target: '[scale-out] link-cycle vs the disk’s fsync rate (one fsync per pair, synchronous=FULL)',
    required: '≥ 0.5 × fsync/s',
    measured: Number.isFinite(share) ? `${share.toFixed(3)} × fsync/s (${report.disk?.fsync_per_second ?? '?'} fsync/s)` : 'not measured',
    holds: Number.isFinite(share) ? share >= 0.5 : null,
  });
  const baseline = report.rss_mb['baseline']?.after_load;
  const livelink = report.rss_mb['livelink']?.after_load;
  const memory = baseline === undefined || livelink === undefined ? Number.NaN : livelink / baseline;
  checks.push({
    target: '[scale-out] livelink resident memory after the load vs the baseline’s',
    required: '≤ 1.5 × baseline',
    measured: Number.isFinite(memory)
      ? `${memory.toFixed(2)} × baseline (${livelink?.toFixed(1)} vs ${baseline?.toFixed(1)} MB)`
      : 'not measured',
    holds: Number.isFinite(memory) ? memory <= 1.5 : null,
  });
  const growth = report.growth.ratio_largest_to_smallest;
  checks.push({
    target: '[scale-out] growth: status-reuse at the largest vs the smallest organization count',
    required: '≥ 0.8',
    measured: growth === null ? 'not measured' : growth.toFixed(3),
    holds: growth === null ? null : growth >= 0.8,
  });
  return checks;
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

/** One line per target, marked HOLDS, MISS or n/a (not measured in this run). */
export function formatTargets(targets: readonly TargetCheck[]): string[] {
  return targets.map((t) => {
    const mark = t.holds === null ? 'n/a ' : t.holds ? 'HOLDS' : 'MISS ';
    return `  [${mark}] ${t.target}: ${t.measured} (required ${t.required})`;
  });
}

export function formatTable(report: BenchReport): string {
  const m = report.machine;
  const lines: string[] = [];
  lines.push(
    `machine: ${m.nproc} cores, ${m.cpu_model}, ${m.memory_gb} GB, ${m.os}, Linux ${m.kernel}, Node ${m.node}${m.postgres === undefined ? '' : `, PostgreSQL ${m.postgres}`}`,
    `pinning: ${m.pinned ? 'server on core 0, load generator on core 1 (taskset)' : 'none (taskset not found)'}; load average at start ${m.loadavg_at_start}`,
    `settings: ${report.settings.rounds} rounds (growth ${report.settings.growth_rounds}) of ${report.settings.duration_ms} ms at concurrency ${report.settings.concurrency}; medians; ratio = median over rounds of (round / mean of the baseline windows just before and after it)`,
    `command: ${report.settings.command}`,
  );
  const baseline = report.scenarios.find((s) => s.name === 'baseline');
  if (baseline !== undefined && baseline.rounds_rps.length > 0) {
    // How noisy the machine was: the same server under the same load, window after window.
    lines.push(
      `noise: the baseline's ${baseline.rounds_rps.length} windows ranged ${Math.min(...baseline.rounds_rps).toLocaleString('en-US')}–${Math.max(...baseline.rounds_rps).toLocaleString('en-US')} requests/s`,
    );
  }
  lines.push('');
  const header = ['scenario', 'db', 'rate', 'unit', 'p50 ms', 'p99 ms', '× baseline', 'gen CPU', 'unexpected'];
  const rows = report.scenarios.map((s) => [
    s.name,
    s.database ?? '-',
    s.rps.toLocaleString('en-US'),
    s.unit,
    s.p50_ms.toFixed(2),
    s.p99_ms.toFixed(2),
    s.ratio_to_baseline.toFixed(3),
    `${s.loadgen_cpu_percent}%`,
    Object.entries(s.unexpected)
      .map(([k, v]) => `${k}:${v}`)
      .join(' ') || '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = new Set([2, 4, 5, 6, 7]);
  const line = (cells: string[]) => cells.map((c, i) => pad(c, widths[i] ?? 0, numeric.has(i))).join('  ');
  lines.push(line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line), '');

  if (report.disk !== undefined) {
    lines.push(
      `disk: ${report.disk.fsync_per_second.toLocaleString('en-US')} fsync/s in SQLite's data folder (4,120-byte writes, 1 s after each link-cycle window: ${report.disk.rounds_fsync_per_second.join(', ')}); link-cycle ${report.disk.link_cycle_share.toFixed(3)} × that (pairs per fsync), ${report.disk.commits_per_pair.toFixed(2)} commits per pair`,
      '',
    );
  }
  if (report.growth.ratio_largest_to_smallest !== null) {
    const sizes = report.growth.sizes.map((n) => n.toLocaleString('en-US')).join(' / ');
    lines.push(
      `growth (status-reuse, a random organization per request), ${sizes} organizations, largest / smallest:`,
      `  as one node runs (sync loop active): ${report.growth.ratio_largest_to_smallest.toFixed(3)}`,
      `  request path alone (sync lease held by another node): ${report.growth.ratio_largest_to_smallest_request_path?.toFixed(3) ?? 'n/a'}`,
      '',
    );
  }
  if (report.several_nodes !== undefined) lines.push(...severalNodesLines(report.several_nodes), '');
  const startups = Object.entries(report.startup_ms);
  lines.push(`start-up, spawn → first answered request (median ms):${startups.length === 0 ? ' not measured' : ''}`);
  for (const [name, ms] of startups)
    lines.push(
      `  ${pad(name, 16)} ${ms.toFixed(0).padStart(6)}   (${(report.startup_samples_ms[name] ?? []).map((v) => v.toFixed(0)).join(', ')})`,
    );
  lines.push('', 'resident memory (MB): after start → after the load');
  for (const [name, rss] of Object.entries(report.rss_mb))
    lines.push(`  ${pad(name, 20)} ${rss.after_start.toFixed(1).padStart(7)} → ${rss.after_load.toFixed(1).padStart(7)}`);
  const heapMb = report.heap_mb ?? {};
  const heap = Object.entries(heapMb).filter(([space, mb]) => !space.endsWith(' used') && mb >= 0.05);
  if (heap.length > 0)
    lines.push(
      `  livelink's V8 heap after the load, MB committed (in use): ${heap
        .map(([space, mb]) => `${space.replace(/_space$/, '')} ${mb.toFixed(1)} (${(heapMb[`${space} used`] ?? Number.NaN).toFixed(1)})`)
        .join(', ')}`,
    );
  lines.push('', 'targets:', ...formatTargets(report.targets));
  if (report.notes.length > 0) lines.push('', 'notes:', ...report.notes.map((n) => `  - ${n}`));
  return lines.join('\n');
}
