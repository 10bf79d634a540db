/**
 * The rehearsal control API around its Schemathesis pass, through livelink's own CLI (`livelink control ...`,
 * which calls the running server over HTTP with the control token), as an operator would: an `init` snapshot
 * for the pass's `POST /reset` to go back to, and afterwards the clock at real time and no fault left.
 */
import type { Check } from './checks.js';
import { runCommand } from './processes.js';

export interface ControlTarget {
  setup: string;
  url: string;
  token: string;
}

/** Runs `livelink control ARGS --url URL --json` with the token in the environment, and parses what it printed. */
async function control(repoRoot: string, target: ControlTarget, args: readonly string[]): Promise<unknown> {
  const result = await runCommand(process.execPath, ['bin/livelink.js', 'control', ...args, '--url', target.url, '--json'], {
    cwd: repoRoot,
    env: { ...process.env, LIVELINK_CONTROL_TOKEN: target.token },
    timeoutMs: 60_000,
  });
  if (result.exitCode !== 0) {
    throw new Error(`livelink control ${args.join(' ')}: exit ${result.exitCode}: ${result.stderr.trim() || result.stdout.trim()}`);
  }
  try {
    return JSON.parse(result.stdout) as unknown;
  } catch {
    throw new Error(`livelink control ${args.join(' ')} printed no JSON: ${result.stdout.slice(0, 200)}`);
  }
}

function row(target: ControlTarget, operation: string, expected: string, got: string, ok: boolean): Check {
  return { setup: target.setup, client: 'livelink control', operation, expected, got, result: ok ? 'pass' : 'fail' };
}

/**
 * `livelink init` takes the snapshot `init`; a setup seeded organization by organization has none, and then
 * `POST /reset` with no name could only answer 404. The pass must be able to reset, so one is taken now
 * when missing (of the data as the earlier passes left it: nothing after the control pass reads it).
 */
export async function ensureInitSnapshot(repoRoot: string, target: ControlTarget, passName: string): Promise<Check> {
  const operation = `pass ${passName}: an init snapshot to reset to`;
  try {
    const listed = (await control(repoRoot, target, ['snapshot', 'list'])) as { results?: { name?: unknown }[] };
    if (listed.results?.some((snapshot) => snapshot.name === 'init') === true)
      return row(target, operation, 'init listed', 'init listed (taken by livelink init)', true);
    const taken = (await control(repoRoot, target, ['snapshot', 'create', '--name', 'init'])) as { name?: unknown; rowCount?: unknown };
    return row(target, operation, 'init listed', `taken now: ${String(taken.name)}, ${String(taken.rowCount)} rows`, taken.name === 'init');
  } catch (error) {
    return row(target, operation, 'init listed', (error as Error).message, false);
  }
}

/** After the pass: the clock put back and every fault cleared, then read back to prove it. */
export async function restoreAfterControlPass(repoRoot: string, target: ControlTarget, passName: string): Promise<Check> {
  const operation = `pass ${passName}: then clock reset and clear-faults`;
  const expected = 'clock at real time (offset 0), no active fault';
  try {
    await control(repoRoot, target, ['clock', 'reset']);
    await control(repoRoot, target, ['clear-faults']);
    const clock = (await control(repoRoot, target, ['clock'])) as { offsetMs?: unknown };
    const faults = (await control(repoRoot, target, ['list-faults'])) as { totalCount?: unknown };
    const got = `clock offset ${String(clock.offsetMs)} ms, ${String(faults.totalCount)} active faults`;
    return row(target, operation, expected, got, clock.offsetMs === 0 && faults.totalCount === 0);
  } catch (error) {
    return row(target, operation, expected, (error as Error).message, false);
  }
}
