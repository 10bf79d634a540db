/**
 * What the migration bench's orchestrator (bench/lib/migration.ts) and its worker processes
 * (bench/lib/migration-worker.ts) say to each other over Node's IPC channel. Each worker is given one
 * job; it answers `ready` once connected, then the job's own messages, then `result` or `failed`.
 */

/** Seeds `count` small documents (`_id` 0 … count − 1) with `insertMany` batches. */
export interface SeedJob {
  kind: 'seed';
  url: string;
  db: string;
  coll: string;
  count: number;
  batchSize: number;
  /** insertMany calls in flight. */
  concurrency: number;
}

/** The bare driver copy: one cursor over the collection, one `insertMany` per batch, nothing else. */
export interface BareCopyJob {
  kind: 'bare-copy';
  source: string;
  destination: string;
  db: string;
  coll: string;
  batchSize: number;
}

/** `runMigration` from source to destination: the copy, then the tail until the orchestrator asks for cutover. */
export interface DataPlaneJob {
  kind: 'data-plane';
  source: string;
  destination: string;
  checkpointFile: string;
  batchSize: number;
  /** How often the data plane's reported lag is sampled once it tails. */
  lagSampleMs: number;
}

/**
 * Single-document writes against one collection whose documents have `_id` 0 … existingIds − 1:
 * inserts of new `_id`s from `insertIdBase` up, updates of random existing documents, deletes of
 * documents this load inserted. Paced at `ratePerSecond` when given, else as fast as the server
 * answers `concurrency` writes in flight. Ends after `durationMs`, or on `stop`.
 */
export interface WriteLoadJob {
  kind: 'write-load';
  url: string;
  db: string;
  coll: string;
  existingIds: number;
  insertIdBase: number;
  concurrency: number;
  ratePerSecond?: number;
  durationMs?: number;
}

export type MigrationJob = SeedJob | BareCopyJob | DataPlaneJob | WriteLoadJob;

export interface CopyResult {
  documents: number;
  /** From before connecting to the last batch acknowledged. */
  ms: number;
  /** The same span on the monotonic clock V8's profiles use (µs), to cut a profile to the copy. */
  fromUs: number;
  toUs: number;
  /** The worker's own peak resident set so far (`process.resourceUsage().maxRSS`). */
  maxRssMb: number;
  /** CPU the worker spent over the copy, user + system. */
  cpuMs: number;
}

export interface WriteLoadResult {
  operations: number;
  inserts: number;
  updates: number;
  deletes: number;
  ms: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Paced loads: how far behind the schedule the load was at its worst (0 when it kept up). */
  maxBehindMs: number;
}

export interface LagSample {
  /** Epoch ms of the sample (the worker's clock). */
  at: number;
  /** What the data plane reports: whole seconds, 0 once caught up. */
  lagSeconds: number | null;
  /** The stream's last batch was empty and everything read is applied. */
  caughtUp: boolean;
  changesApplied: number;
}

export type ToMigrationWorker = { type: 'job'; job: MigrationJob } | { type: 'stop' } | { type: 'cutover' };

export type FromMigrationWorker =
  | { type: 'ready' }
  /** data-plane: the initial copy finished (the migration tails from here). */
  | { type: 'copied'; copy: CopyResult }
  | { type: 'lag'; sample: LagSample }
  /** data-plane: `cutover()` resolved, `ms` after it was called. */
  | { type: 'cutover'; ms: number; changesApplied: number }
  | { type: 'result'; result: CopyResult | WriteLoadResult | { seeded: number; ms: number } | { outcome: string } }
  | { type: 'failed'; message: string };
