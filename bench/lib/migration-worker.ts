/**
 * A worker of the migration bench: a process of its own, so that the resident memory the
 * orchestrator samples is the copier's alone, and so that the copier, the write load and the
 * orchestrator never share an event loop. Started by bench/lib/migration.ts with an IPC channel;
 * it takes one job (bench/lib/migration-protocol.ts), does it, reports, and exits.
 */
import { rmSync } from 'node:fs';
import process from 'node:process';
import { performance } from 'node:perf_hooks';
import { MongoClient, type Document } from 'mongodb';
import { FileCheckpointStore } from '../../src/features/live-migrations/data-plane/file-checkpoint-store.js';
import { runMigration } from '../../src/features/live-migrations/data-plane/run-migration.js';
import type {
  BareCopyJob,
  CopyResult,
  DataPlaneJob,
  FromMigrationWorker,
  MigrationJob,
  SeedJob,
  ToMigrationWorker,
  WriteLoadJob,
  WriteLoadResult,
} from './migration-protocol.js';
import { LatencyRecorder } from './stats.js';

function send(message: FromMigrationWorker, then?: () => void): void {
  if (process.send === undefined) throw new Error('the migration worker runs only as a child with an IPC channel');
  process.send(message, undefined, {}, () => then?.());
}

/** The last message: the channel closes once it is sent, and the process ends when its work has. */
function sendLast(message: FromMigrationWorker): void {
  send(message, () => process.disconnect());
}

/** Messages after the job (stop, cutover) go to whoever the job registered. */
let onControl: (message: ToMigrationWorker) => void = () => undefined;

interface SmallDocument {
  _id: number;
  n: number;
  name: string;
  group: number;
  active: boolean;
  revision: number;
  at: Date;
}

/** A small document (about 90 bytes of BSON): what "1,000,000 small documents" means here. */
function smallDocument(id: number, revision = 0): SmallDocument {
  return {
    _id: id,
    n: id,
    name: `user-${String(id).padStart(8, '0')}`,
    group: id % 97,
    active: id % 3 === 0,
    revision,
    at: new Date(1_700_000_000_000 + id * 1000),
  };
}

async function seed(job: SeedJob): Promise<{ seeded: number; ms: number }> {
  const client = new MongoClient(job.url, { maxPoolSize: job.concurrency + 1 });
  try {
    await client.connect();
    send({ type: 'ready' });
    const collection = client.db(job.db).collection<SmallDocument>(job.coll);
    const started = performance.now();
    let next = 0;
    const lanes = Array.from({ length: job.concurrency }, async () => {
      for (;;) {
        const from = next;
        if (from >= job.count) return;
        const to = Math.min(job.count, from + job.batchSize);
        next = to;
        const documents = Array.from({ length: to - from }, (_, i) => smallDocument(from + i));
        await collection.insertMany(documents, { ordered: false });
      }
    });
    await Promise.all(lanes);
    return { seeded: job.count, ms: performance.now() - started };
  } finally {
    await client.close();
  }
}

/** The span a copy ran for, measured from inside the process doing it. */
class CopyClock {
  private readonly started = performance.now();
  private readonly fromUs = monotonicUs();
  private readonly cpu = process.cpuUsage();

  result(documents: number): CopyResult {
    const cpu = process.cpuUsage(this.cpu);
    return {
      documents,
      ms: performance.now() - this.started,
      fromUs: this.fromUs,
      toUs: monotonicUs(),
      maxRssMb: process.resourceUsage().maxRSS / 1024,
      cpuMs: (cpu.user + cpu.system) / 1000,
    };
  }
}

function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** What anyone would write first: a cursor, a batch, `insertMany`, the next batch. */
async function bareCopy(job: BareCopyJob): Promise<CopyResult> {
  send({ type: 'ready' });
  const clock = new CopyClock();
  const source = new MongoClient(job.source);
  const destination = new MongoClient(job.destination);
  try {
    await Promise.all([source.connect(), destination.connect()]);
    const target = destination.db(job.db).collection(job.coll);
    let documents = 0;
    let batch: Document[] = [];
    for await (const document of source.db(job.db).collection(job.coll).find({}, { batchSize: job.batchSize })) {
      batch.push(document);
      if (batch.length < job.batchSize) continue;
      await target.insertMany(batch);
      documents += batch.length;
      batch = [];
    }
    if (batch.length > 0) {
      await target.insertMany(batch);
      documents += batch.length;
    }
    return clock.result(documents);
  } finally {
    await Promise.allSettled([source.close(), destination.close()]);
  }
}

async function dataPlane(job: DataPlaneJob): Promise<{ outcome: string }> {
  rmSync(job.checkpointFile, { force: true });
  const abort = new AbortController();
  let copied = false;
  let sampler: NodeJS.Timeout | undefined;
  send({ type: 'ready' });
  const clock = new CopyClock();
  const migration = runMigration({
    source: job.source,
    destination: job.destination,
    checkpointStore: new FileCheckpointStore(job.checkpointFile),
    batchSize: job.batchSize,
    signal: abort.signal,
    onProgress: (progress) => {
      if (copied || (progress.phase !== 'TAILING' && progress.phase !== 'CUTTING_OVER')) return;
      copied = true;
      send({ type: 'copied', copy: clock.result(progress.documentsCopied) });
      sampler = setInterval(() => {
        const now = migration.progress();
        send({
          type: 'lag',
          sample: { at: Date.now(), lagSeconds: now.lagSeconds ?? null, caughtUp: now.caughtUp, changesApplied: now.changesApplied },
        });
      }, job.lagSampleMs);
    },
  });
  onControl = (message) => {
    if (message.type === 'stop') abort.abort();
    if (message.type !== 'cutover') return;
    const asked = performance.now();
    migration.cutover().then(
      () => send({ type: 'cutover', ms: performance.now() - asked, changesApplied: migration.progress().changesApplied }),
      (error: unknown) => send({ type: 'failed', message: `cutover: ${String(error)}` }),
    );
  };
  try {
    return { outcome: await migration.done };
  } finally {
    clearInterval(sampler);
  }
}

async function writeLoad(job: WriteLoadJob): Promise<WriteLoadResult> {
  // Not retryable: SecantusDB falls from the rate asked to about 100 writes/s after some 10,000
  // retryable writes (docs/benchmarks.md, "Live migration"), and the load is meant to be the steady
  // rate it is asked for. The data plane keeps the driver's default.
  const client = new MongoClient(job.url, { maxPoolSize: job.concurrency + 1, retryWrites: false });
  let stopped = false;
  onControl = (message) => {
    if (message.type === 'stop') stopped = true;
  };
  try {
    await client.connect();
    const collection = client.db(job.db).collection<SmallDocument>(job.coll);
    // One round trip before the clock starts: the pool has a connection, the server has the collection open.
    await collection.findOne({ _id: 0 });
    send({ type: 'ready' });
    const latencies = new LatencyRecorder();
    const counts = { inserts: 0, updates: 0, deletes: 0 };
    // Inserted and acknowledged, oldest first: the documents deletes take.
    const inserted: number[] = [];
    let insertedHead = 0;
    let nextInsertId = job.insertIdBase;
    let random = 0x2545f491;
    const randomId = (): number => {
      random = (Math.imul(random, 1_103_515_245) + 12_345) >>> 0;
      return random % job.existingIds;
    };
    const interval = job.ratePerSecond === undefined ? 0 : 1000 / job.ratePerSecond;
    let issued = 0;
    let maxBehindMs = 0;
    const started = performance.now();
    const deadline = job.durationMs === undefined ? Number.POSITIVE_INFINITY : started + job.durationMs;
    // Four in ten inserts, four in ten updates, two in ten deletes (of this load's own inserts).
    const operate = async (index: number): Promise<void> => {
      const slot = index % 10;
      if (slot >= 8 && insertedHead < inserted.length) {
        const id = inserted[insertedHead++] as number;
        await collection.deleteOne({ _id: id });
        counts.deletes += 1;
      } else if (slot < 4) {
        const id = nextInsertId++;
        await collection.insertOne(smallDocument(id));
        inserted.push(id);
        counts.inserts += 1;
      } else {
        await collection.updateOne({ _id: randomId() }, { $set: { name: `updated-${index}` }, $inc: { revision: 1 } });
        counts.updates += 1;
      }
    };
    const lanes = Array.from({ length: job.concurrency }, async () => {
      while (!stopped && performance.now() < deadline) {
        const index = issued++;
        if (interval > 0) {
          const wait = started + index * interval - performance.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          else maxBehindMs = Math.max(maxBehindMs, -wait);
          if (stopped) break;
        }
        const begun = performance.now();
        await operate(index);
        latencies.record(performance.now() - begun);
      }
    });
    await Promise.all(lanes);
    const ms = performance.now() - started;
    const [p50Ms = Number.NaN, p99Ms = Number.NaN] = latencies.percentiles([0.5, 0.99]);
    return { operations: latencies.count, ...counts, ms, perSecond: (latencies.count / ms) * 1000, p50Ms, p99Ms, maxBehindMs };
  } finally {
    await client.close();
  }
}

function run(job: MigrationJob): Promise<FromMigrationWorker & { type: 'result' }> {
  const wrap = async <T extends object>(work: Promise<T>) => ({ type: 'result' as const, result: (await work) as never });
  switch (job.kind) {
    case 'seed':
      return wrap(seed(job));
    case 'bare-copy':
      return wrap(bareCopy(job));
    case 'data-plane':
      return wrap(dataPlane(job));
    case 'write-load':
      return wrap(writeLoad(job));
  }
}

process.on('message', (message: ToMigrationWorker) => {
  if (message.type !== 'job') return onControl(message);
  run(message.job).then(
    (result) => sendLast(result),
    (error: unknown) => {
      process.exitCode = 1;
      sendLast({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    },
  );
});
