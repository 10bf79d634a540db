/**
 * Start-up time: from spawn() to the first answered HTTP request, polled from the load generator's core
 * every 2 ms. Any status counts as an answer: the question is when the process can serve, not what.
 */
import { createServer } from 'node:net';
import { request } from 'undici';
import { sleep, start, type Started, type StartOptions } from './processes.js';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves when `url` answers; rejects when the process exits or `timeoutMs` passes. */
export async function waitForHttp(url: string, process: Started, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (process.child.exitCode !== null || process.child.signalCode !== null)
      throw new Error(`${process.name} exited while starting\n${process.tail()}`);
    try {
      // reset: a new connection per try, nothing left open towards a process about to be stopped.
      const response = await request(url, { reset: true, headersTimeout: 2000, bodyTimeout: 2000 });
      await response.body.dump();
      return performance.now();
    } catch {
      if (performance.now() > deadline) throw new Error(`${process.name}: ${url} did not answer within ${timeoutMs} ms\n${process.tail()}`);
      await sleep(2);
    }
  }
}

/** Starts the process `samples` times on a free port and returns the milliseconds to its first answer. */
export async function measureStartup(samples: number, launch: (port: number) => StartOptions, path: string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < samples; i += 1) {
    const port = await freePort();
    const started = start(launch(port));
    try {
      const answered = await waitForHttp(`http://127.0.0.1:${port}${path}`, started, 60_000);
      times.push(answered - started.spawnedAt);
    } finally {
      await started.stop();
    }
  }
  return times;
}
