/**
 * Several nodes on one PostgreSQL: status-reuse against one node, then spread over two, alternated, with
 * the CPU time each side spent per request: the nodes' (their processes) and PostgreSQL's (the backends
 * serving the bench's database, found in pg_stat_activity). From those costs the report projects how
 * throughput grows with nodes until PostgreSQL saturates; on a 2-core machine the measured total itself
 * cannot grow, since every node shares the servers' core.
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import type { JobSpec, LoadGenerator } from './loadgen.js';
import type { LoadResult } from './protocol.js';

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these ticks. */
const TICKS_PER_SECOND = 100;

export interface SeveralNodesFigure {
  one_node_rps: number;
  two_nodes_rps: number;
  two_vs_one: number;
  /** CPU time per request, µs: every livelink node's, and PostgreSQL's backends'. */
  node_cpu_us_per_request: { one: number; two: number };
  database_cpu_us_per_request: { one: number; two: number };
  /** Requests per second one node (one core of its own) and one PostgreSQL core could serve at those costs. */
  projected_node_core_rps: number;
  projected_database_core_rps: number;
}

function cpuTicks(pid: number): number {
  try {
    // Fields after the command (which may hold spaces), from ") ": state is field 3, utime 14, stime 15.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return Number.NaN;
  }
}

function ticksOf(pids: readonly number[]): Map<number, number> {
  return new Map(pids.map((pid) => [pid, cpuTicks(pid)]));
}

/** CPU seconds between two readings; a process that appeared in between counts whole. */
function cpuSecondsBetween(before: Map<number, number>, after: Map<number, number>): number {
  let ticks = 0;
  for (const [pid, end] of after) {
    if (!Number.isFinite(end)) continue;
    const start = before.get(pid);
    ticks += start !== undefined && Number.isFinite(start) ? end - start : end;
  }
  return ticks / TICKS_PER_SECOND;
}

async function backendPids(adminUrl: string, database: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const rows = await client.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1', [database]);
    return rows.rows.map((row) => row.pid);
  } finally {
    await client.end();
  }
}

interface Window {
  result: LoadResult;
  nodeCpuSeconds: number;
  databaseCpuSeconds: number;
}

export async function measureSeveralNodes(options: {
  loadgen: LoadGenerator;
  job: JobSpec;
  nodes: readonly { url: string; pid: number }[];
  adminUrl: string;
  database: string;
  rounds: number;
}): Promise<SeveralNodesFigure> {
  const { loadgen, job, nodes, adminUrl, database } = options;
  const nodePids = nodes.map((node) => node.pid);
  const windows = { one: [] as Window[], two: [] as Window[] };
  const measure = async (origins: readonly string[]): Promise<Window> => {
    const backendsBefore = await backendPids(adminUrl, database);
    const nodesBefore = ticksOf(nodePids);
    const databaseBefore = ticksOf(backendsBefore);
    const result = await loadgen.run({ ...job, origins } as JobSpec);
    const nodesAfter = ticksOf(nodePids);
    const databaseAfter = ticksOf([...new Set([...backendsBefore, ...(await backendPids(adminUrl, database))])]);
    // The CPU readings span the warm-up too, at about the window's rate: charge the window its share.
    const share = job.durationMs / (job.warmupMs + job.durationMs);
    return {
      result,
      nodeCpuSeconds: cpuSecondsBetween(nodesBefore, nodesAfter) * share,
      databaseCpuSeconds: cpuSecondsBetween(databaseBefore, databaseAfter) * share,
    };
  };
  const first = nodes[0];
  if (first === undefined) throw new Error('no node to measure');
  for (let round = 0; round < options.rounds; round += 1) {
    windows.one.push(await measure([first.url]));
    windows.two.push(await measure(nodes.map((node) => node.url)));
  }
  const median = (values: number[]) => {
    const sorted = values.toSorted((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
  };
  const rate = (list: Window[]) => median(list.map((w) => w.result.operationsPerSecond));
  const perRequest = (list: Window[], pick: (w: Window) => number) =>
    median(list.map((w) => (w.result.operations === 0 ? Number.NaN : (pick(w) * 1e6) / w.result.operations)));
  const one = rate(windows.one);
  const two = rate(windows.two);
  const nodeCpu = { one: perRequest(windows.one, (w) => w.nodeCpuSeconds), two: perRequest(windows.two, (w) => w.nodeCpuSeconds) };
  const databaseCpu = {
    one: perRequest(windows.one, (w) => w.databaseCpuSeconds),
    two: perRequest(windows.two, (w) => w.databaseCpuSeconds),
  };
  const round1 = (value: number) => Math.round(value * 10) / 10;
  return {
    one_node_rps: Math.round(one),
    two_nodes_rps: Math.round(two),
    two_vs_one: Math.round((two / one) * 1000) / 1000,
    node_cpu_us_per_request: { one: round1(nodeCpu.one), two: round1(nodeCpu.two) },
    database_cpu_us_per_request: { one: round1(databaseCpu.one), two: round1(databaseCpu.two) },
    projected_node_core_rps: Math.round(1e6 / nodeCpu.two),
    projected_database_core_rps: Math.round(1e6 / databaseCpu.two),
  };
}

/** The report's lines for the figure, the projection included. */
export function severalNodesLines(figure: SeveralNodesFigure): string[] {
  const perNode = figure.projected_node_core_rps;
  const perDatabaseCore = figure.projected_database_core_rps;
  return [
    'several nodes (status-reuse on one PostgreSQL; one node, then the load spread over two; medians):',
    `  total                      one node ${figure.one_node_rps.toLocaleString('en-US')}/s, two nodes ${figure.two_nodes_rps.toLocaleString('en-US')}/s (${figure.two_vs_one.toFixed(3)} ×; the nodes share the servers' core here)`,
    `  node CPU per request       ${figure.node_cpu_us_per_request.one} µs (one node), ${figure.node_cpu_us_per_request.two} µs (two, summed)`,
    `  PostgreSQL CPU per request ${figure.database_cpu_us_per_request.one} µs (one node), ${figure.database_cpu_us_per_request.two} µs (two)`,
    `  projection                 each node on a core of its own serves about ${perNode.toLocaleString('en-US')}/s; one PostgreSQL core about ${perDatabaseCore.toLocaleString('en-US')}/s:`,
    `                             throughput grows with nodes up to about ${(perDatabaseCore / perNode).toFixed(1)} nodes per PostgreSQL core`,
  ];
}
