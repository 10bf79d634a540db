/** The orchestrator's side of the load generator process: start it pinned, hand it jobs, read results. */
import { fileURLToPath } from 'node:url';
import process from 'node:process';
import { LOADGEN_CORE, start, type Started } from './processes.js';
import type { FromWorker, LoadJob, LoadResult, ToWorker } from './protocol.js';

const WORKER = fileURLToPath(new URL('../loadgen-worker.ts', import.meta.url));

/** Jobs without their id: the generator numbers them. */
export type JobSpec = LoadJob extends infer J ? (J extends LoadJob ? Omit<J, 'id'> : never) : never;

export class LoadGenerator {
  #nextId = 1;
  readonly #pending = new Map<number, { resolve: (result: LoadResult) => void; reject: (error: Error) => void }>();

  private constructor(private readonly worker: Started) {
    worker.child.on('message', (message: FromWorker) => {
      if (message.type === 'result') {
        this.#pending.get(message.result.id)?.resolve(message.result);
        this.#pending.delete(message.result.id);
      } else if (message.type === 'failed') {
        this.#pending.get(message.id)?.reject(new Error(`load generator: ${message.message}`));
        this.#pending.delete(message.id);
      }
    });
    worker.child.once('exit', (code) => {
      for (const { reject } of this.#pending.values()) reject(new Error(`load generator exited (${code})\n${worker.tail()}`));
      this.#pending.clear();
    });
  }

  static async start(): Promise<LoadGenerator> {
    const started = start({
      name: 'load generator',
      command: process.execPath,
      args: ['--import', 'tsx', WORKER],
      core: LOADGEN_CORE,
      ipc: true,
    });
    await new Promise<void>((resolve, reject) => {
      const onMessage = (message: FromWorker) => {
        if (message.type === 'ready') {
          started.child.off('message', onMessage);
          resolve();
        }
      };
      started.child.on('message', onMessage);
      started.child.once('exit', (code) => reject(new Error(`load generator exited (${code}) while starting\n${started.tail()}`)));
    });
    return new LoadGenerator(started);
  }

  run(spec: JobSpec): Promise<LoadResult> {
    const id = this.#nextId++;
    const job = { ...spec, id } as LoadJob;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      const message: ToWorker = { type: 'run', job };
      this.worker.child.send(message);
    });
  }

  async stop(): Promise<void> {
    if (this.worker.child.connected) this.worker.child.send({ type: 'exit' } satisfies ToWorker);
    await this.worker.stop();
  }
}
