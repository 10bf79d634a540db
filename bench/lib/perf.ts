/**
 * Linux `perf` sampling of a server under load: the view V8's --cpu-prof does not give. --cpu-prof
 * charges the time spent inside native calls (better-sqlite3's all(), OpenSSL) to the calling JavaScript
 * frame and never sees the kernel; perf samples every frame, with JavaScript functions named through
 * the map file node writes under --perf-basic-prof.
 */
import { spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The node flag that makes JavaScript frames readable to perf. */
export const PERF_NODE_ARGS = ['--perf-basic-prof'] as const;

/** Why perf cannot be used here, or undefined when it can. */
export function perfUnavailable(): string | undefined {
  const probe = spawnSync('perf', ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) return 'perf not found (Debian: apt-get install linux-perf)';
  return undefined;
}

/** Samples process `pid` (all its threads, with call graphs) for `seconds` into `file`. */
export function perfRecord(pid: number, seconds: number, file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('perf', ['record', '-F', '1999', '-g', '-p', String(pid), '-o', file, '--', 'sleep', String(seconds)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`perf record exited ${code}: ${stderr.trim().split('\n').at(-1) ?? ''}`)),
    );
  });
}

/**
 * A summary of a recording: where the time went by binary (node, the kernel, JIT-compiled JavaScript,
 * better-sqlite3, libc…), the `top` symbols by self time (any binary), and the `top` JavaScript functions
 * by inclusive time (what they and everything they called cost).
 */
export function perfSummary(title: string, file: string, top: number): string {
  const report = (args: string[]) => {
    const result = spawnSync('perf', ['report', '-i', file, '--stdio', '-g', 'none', ...args], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    return result.stdout
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.startsWith('#'))
      .map((line) => line.replace(/\s+$/, ''))
      .map((line) => (line.length > 160 ? `${line.slice(0, 157)}...` : line));
  };
  return [
    `== ${title}`,
    '-- samples by binary (self)',
    ...report(['--no-children', '--sort', 'dso']).slice(0, 10),
    `-- top ${top} symbols by self time`,
    ...report(['--no-children', '--sort', 'dso,sym']).slice(0, top),
    `-- top ${top} JavaScript functions by inclusive time (children)`,
    ...report(['--children', '--sort', 'sym'])
      .filter((line) => line.includes('JS:'))
      .slice(0, top),
  ].join('\n');
}

/** node --perf-basic-prof leaves /tmp/perf-PID.map behind; perf report has read it by now. */
export function removePerfMap(pid: number): void {
  rmSync(join(tmpdir(), `perf-${pid}.map`), { force: true });
}
