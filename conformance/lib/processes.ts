/**
 * Running commands and livelink servers for the conformance run. Every process started here is
 * remembered by its pid and stopped by that pid (never by name), also when the run is interrupted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';

export interface CommandResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
}

export interface CommandOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** Echo the command's output to this process's stderr as it comes (long installs). */
  echo?: boolean;
  input?: string;
}

const running = new Set<ChildProcess>();

/** Runs a command to its end (or its time limit) and collects its output. */
export function runCommand(command: string, args: readonly string[], options: CommandOptions = {}): Promise<CommandResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    running.add(child);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (options.echo) process.stderr.write(chunk);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (options.echo) process.stderr.write(chunk);
    });
    // A command that exits without reading its input closes the pipe: EPIPE is its business, not a crash of the run.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            killGroup(child, 'SIGKILL');
          }, options.timeoutMs);
    const finish = (exitCode: number | null) => {
      if (timer) clearTimeout(timer);
      running.delete(child);
      resolve({ exitCode, stdout, stderr, timedOut, durationMs: Date.now() - started });
    };
    child.on('error', (error) => {
      stderr += `\n${error.message}`;
      finish(null);
    });
    child.on('close', (code) => finish(code));
  });
}

/** Signals the process group of a child started with `detached: true` (its own group), by pid. */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

export interface RunningServer {
  url: string;
  role: string;
  pid: number;
  logFile: string;
  stop(): Promise<void>;
}

/**
 * Starts `node bin/livelink.js serve ...` and resolves once it printed
 * `livelink listening on <url> (role <role>)`. Its output goes to `logFile`.
 */
export function startLivelink(
  repoRoot: string,
  args: readonly string[],
  logFile: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/livelink.js', 'serve', ...args], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    running.add(child);
    const log = createWriteStream(logFile);
    let seen = '';
    let settled = false;
    const timer = setTimeout(() => fail(new Error(`livelink did not print "listening on" within 30 s (see ${logFile})`)), 30_000);
    const exited = new Promise<void>((done) => child.on('close', () => done()));
    const stop = async () => {
      killGroup(child, 'SIGTERM');
      const killer = setTimeout(() => killGroup(child, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
      running.delete(child);
      log.end();
    };
    function fail(error: Error) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void stop().then(() => reject(error));
    }
    const watch = (chunk: Buffer) => {
      log.write(chunk);
      if (settled) return;
      seen += chunk.toString('utf8');
      const match = /livelink listening on (\S+) \(role (\w+)\)/.exec(seen);
      if (match && child.pid !== undefined) {
        settled = true;
        clearTimeout(timer);
        resolve({ url: match[1] ?? '', role: match[2] ?? '', pid: child.pid, logFile, stop });
      }
    };
    child.stdout.on('data', watch);
    child.stderr.on('data', watch);
    child.on('error', (error) => fail(error));
    child.on('close', (code) =>
      fail(new Error(`livelink exited (${code}) before listening: ${seen.trim().split('\n').slice(-3).join(' | ')}`)),
    );
  });
}

/** Stops everything this run started and is still running (on interruption or a crash). */
export async function stopAll(): Promise<void> {
  const children = [...running];
  for (const child of children) killGroup(child, 'SIGTERM');
  await new Promise((done) => setTimeout(done, 500));
  for (const child of children) killGroup(child, 'SIGKILL');
  running.clear();
}
