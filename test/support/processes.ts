/**
 * livelink as a real process: `node bin/livelink.js serve ...` (the compiled CLI; npm test builds it
 * first), and one-shot CLI commands. Every started process is killed by the caller.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';

export const BIN = new URL('../../bin/livelink.js', import.meta.url).pathname;

export interface RunningProcess {
  process: ChildProcess;
  url: string;
  /** Stops it the way an operator does (SIGTERM) and waits until it exited. */
  stop(): Promise<void>;
}

export async function startLivelinkProcess(flags: readonly string[], env: Record<string, string> = {}): Promise<RunningProcess> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--log-level', 'error', ...flags], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`livelink did not start: ${output}`)), 15_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /livelink listening on (\S+)/.exec(output);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`livelink exited with ${code}: ${output}`));
    });
  });
  child.removeAllListeners('exit');
  return {
    process: child,
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Runs one CLI command and parses its --json output. */
export async function livelinkJson<T>(args: readonly string[], env: Record<string, string> = {}): Promise<T> {
  const { stdout } = await promisify(execFile)(process.execPath, [BIN, ...args, '--json'], { env: { ...process.env, ...env } });
  return JSON.parse(stdout) as T;
}
