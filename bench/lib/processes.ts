/**
 * Every process the bench starts goes through here, so that every one of them is stopped at the end,
 * by its PID, whatever happens: a normal end, an exception, Ctrl-C, SIGTERM.
 */
import { spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import process from 'node:process';

/** The core the servers run on and the core the load generator (and this orchestrator) run on. */
export const SERVER_CORE = 0;
export const LOADGEN_CORE = 1;

let tasksetAvailable: boolean | undefined;

/** taskset (util-linux) pins a process to a core; without it the bench runs unpinned and says so. */
export function canPin(): boolean {
  if (tasksetAvailable === undefined) {
    const probe = spawnSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    tasksetAvailable = probe.status === 0;
  }
  return tasksetAvailable;
}

/** Pins this orchestrator to the load generator's core, so its bookkeeping never lands on the server's. */
export function pinSelf(core: number): void {
  if (canPin()) spawnSync('taskset', ['-p', '-c', String(core), String(process.pid)], { stdio: 'ignore' });
}

export interface StartOptions {
  name: string;
  command: string;
  args: readonly string[];
  core?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Adds an IPC channel (the load generator). */
  ipc?: boolean;
  /**
   * Where the child's output goes: both piped (to wait for a line and keep the tail), stderr only (a
   * server that logs every request to stdout must not make this process, on the load generator's core,
   * read each line), or nothing.
   */
  output?: 'pipe' | 'stderr' | 'ignore';
}

export interface Started {
  name: string;
  child: ChildProcess;
  pid: number;
  /** process start → spawn() returned, ms since the performance time origin. */
  spawnedAt: number;
  /** The last lines the process wrote, for a message when it fails. */
  tail(): string;
  /** Resolves with the first output line matching `pattern`; rejects on exit or after `timeoutMs`. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
  stop(): Promise<void>;
}

const running = new Map<number, Started>();

export function start(options: StartOptions): Started {
  const pinned = options.core !== undefined && canPin();
  const command = pinned ? 'taskset' : options.command;
  const args = pinned ? ['-c', String(options.core), options.command, ...options.args] : [...options.args];
  const output = options.output ?? 'pipe';
  const stdio: StdioOptions =
    output === 'pipe' ? ['ignore', 'pipe', 'pipe'] : output === 'stderr' ? ['ignore', 'ignore', 'pipe'] : ['ignore', 'ignore', 'ignore'];
  if (options.ipc === true) stdio.push('ipc');
  const spawnedAt = performance.now();
  const child = spawn(command, args, { stdio, env: options.env ?? process.env, cwd: options.cwd });
  if (child.pid === undefined) throw new Error(`${options.name}: could not start ${options.command}`);
  const pid = child.pid;

  let buffered = '';
  const lines: string[] = [];
  const watchers = new Set<{ pattern: RegExp; resolve: (match: RegExpExecArray) => void }>();
  const onData = (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let newline = buffered.indexOf('\n');
    while (newline !== -1) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      lines.push(line);
      if (lines.length > 40) lines.shift();
      for (const watcher of watchers) {
        const match = watcher.pattern.exec(line);
        if (match !== null) {
          watchers.delete(watcher);
          watcher.resolve(match);
        }
      }
      newline = buffered.indexOf('\n');
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  exited.then(
    () => running.delete(pid),
    () => undefined,
  );

  const started: Started = {
    name: options.name,
    child,
    pid,
    spawnedAt,
    tail: () => lines.join('\n'),
    waitForLine(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        const watcher = { pattern, resolve: (match: RegExpExecArray) => finish(() => resolve(match)) };
        const timer = setTimeout(
          () => finish(() => reject(new Error(`${options.name}: no line matching ${pattern} within ${timeoutMs} ms\n${started.tail()}`))),
          timeoutMs,
        );
        const onExit = (code: number | null) =>
          finish(() => reject(new Error(`${options.name} exited (${code}) before printing ${pattern}\n${started.tail()}`)));
        function finish(then: () => void) {
          clearTimeout(timer);
          watchers.delete(watcher);
          child.off('exit', onExit);
          then();
        }
        watchers.add(watcher);
        child.once('exit', onExit);
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killed = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
      if (!killed) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
  running.set(pid, started);
  return started;
}

/** Stops everything still running, newest first (load generator before servers). */
export async function stopAll(): Promise<void> {
  const all = [...running.values()].reverse();
  await Promise.allSettled(all.map((p) => p.stop()));
}

/**
 * Last resort on any exit path: SIGKILL by PID whatever is still running. `exit` handlers must be
 * synchronous, so there is no graceful wait here; stopAll() in the normal path already waited.
 */
export function installExitGuards(): void {
  process.on('exit', () => {
    for (const pid of running.keys()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench: ${signal}, stopping everything it started…\n`);
      void stopAll().finally(() => process.exit(130));
    });
  }
}

/** Resident set of a process in MB (VmRSS), or NaN when it is gone. */
export function rssMb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    return kb === undefined ? Number.NaN : Number(kb) / 1024;
  } catch {
    return Number.NaN;
  }
}

/** PIDs of a process's children (a server that forks would hide its work and memory from the figures). */
export function childPids(pid: number): number[] {
  try {
    const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return text === '' ? [] : text.split(/\s+/).map(Number);
  } catch {
    return [];
  }
}

/** Resident set of a process and all its descendants: a tool that forks is measured whole. */
export function treeRssMb(pid: number): number {
  return rssMb(pid) + childPids(pid).reduce((sum, child) => sum + (Number.isFinite(rssMb(child)) ? treeRssMb(child) : 0), 0);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
