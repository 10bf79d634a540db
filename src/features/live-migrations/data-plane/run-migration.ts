/**
 * The data plane of a live migration, from one entry: copy every database and collection of the
 * source into the destination, then apply the source's changes until cutover.
 *
 *   STARTING → COPYING → TAILING → CUTTING_OVER → COMPLETE
 *
 * - STARTING (not recorded): checks that the source is a replica set; drops the destination's
 *   databases when `dropDestinationData` says so, otherwise refuses a destination that already holds
 *   a namespace of the source; records the change-stream start point, then lists what to copy.
 * - COPYING: per collection, its definition, its indexes, its documents (`initial-copy.ts`).
 * - TAILING: the change stream from the start point (`change-tail.ts`, `change-applier.ts`); lag as
 *   in `lag.ts`. `cutover()` is accepted from here on.
 * - CUTTING_OVER: recorded at once, so a restart goes on with it; ends when the tail is caught up
 *   (lag 0) after the request; then the unique indexes get their `unique` (`collection-definitions.ts`).
 * - COMPLETE: nothing more is read or written.
 *
 * Everything durable is in the checkpoint (`checkpoint.ts`); a process killed at any moment and started
 * again with the same store goes on from it and ends with the same destination.
 */
import {
  MongoBulkWriteError,
  MongoClient,
  MongoServerError,
  MongoWriteConcernError,
  type Document,
  type MongoClientOptions,
} from 'mongodb';
import { ChangeApplier } from './change-applier.js';
import { tailChanges } from './change-tail.js';
import type { CheckpointPhase, CollectionCopyState, MigrationCheckpoint, MigrationCheckpointStore } from './checkpoint.js';
import { ensureDefinition, syncIndexes } from './collection-definitions.js';
import { currentOperationTime, describeDeployment, requireReplicaSet } from './deployment.js';
import { copyCollectionDocuments } from './initial-copy.js';
import { LagGauge } from './lag.js';
import { MigrationError } from './migration-error.js';
import { isInternalDatabase, listSourceNamespaces, NamespaceCatalog, namespaceKey, type SkippedNamespace } from './namespaces.js';

export interface MigrationOptions {
  /** Connection string of the source replica set. */
  readonly source: string;
  /** Connection string of the destination. */
  readonly destination: string;
  readonly checkpointStore: MigrationCheckpointStore;
  /** Drop the destination's databases (all but admin, local and config) before the copy begins. */
  readonly dropDestinationData?: boolean;
  /** Documents per batch of the initial copy, and changes per applied batch at most. Default 1000. */
  readonly batchSize?: number;
  /** How long one wait for changes lasts on the server; bounds how soon an abort or a cutover is seen. Default 1000. */
  readonly maxAwaitTimeMS?: number;
  /** Stops the migration at the next batch boundary; `done` then resolves `STOPPED`. */
  readonly signal?: AbortSignal;
  /**
   * Called after every recorded step (batch copied, batch applied, phase change, caught up). A promise it
   * returns holds the migration at that step until it settles: an observer that must act at a given point
   * of the copy (a test writing to the source mid-copy) gets that point, whatever the load.
   */
  readonly onProgress?: (progress: MigrationProgress) => void | Promise<void>;
  /** TLS, authentication and the like, as the driver takes them. */
  readonly sourceClientOptions?: MongoClientOptions;
  readonly destinationClientOptions?: MongoClientOptions;
}

export type MigrationPhase = 'STARTING' | CheckpointPhase;

export interface MigrationProgress {
  readonly phase: MigrationPhase;
  readonly documentsCopied: number;
  readonly collectionsCopied: number;
  readonly collectionsToCopy: number;
  /** The namespace the initial copy is working on. */
  readonly copying: string | undefined;
  readonly changesApplied: number;
  /** Seconds; undefined before the tail has a position, 0 once COMPLETE. */
  readonly lagSeconds: number | undefined;
  readonly caughtUp: boolean;
  readonly skipped: readonly SkippedNamespace[];
}

export type MigrationOutcome = 'COMPLETE' | 'STOPPED';

export interface LiveMigration {
  /** Resolves when the migration completed or was stopped; rejects with what made it fail. */
  readonly done: Promise<MigrationOutcome>;
  progress(): MigrationProgress;
  /**
   * Asks for cutover (the source's writes should be stopped by now) and resolves once every change
   * is applied (lag 0) and the migration is COMPLETE. Refused before the initial copy finished.
   */
  cutover(): Promise<void>;
}

const DEFAULT_BATCH_SIZE = 1000;
const DEFAULT_MAX_AWAIT_MS = 1000;

export function runMigration(options: MigrationOptions): LiveMigration {
  const migration = new Migration(options);
  const done = migration.run();
  return {
    done,
    progress: () => migration.progress(),
    cutover: async () => {
      await migration.requestCutover();
      if ((await done) !== 'COMPLETE') throw new MigrationError('MIGRATION_STOPPED', 'the migration stopped before cutover completed');
    },
  };
}

class Migration {
  private checkpoint: MigrationCheckpoint | undefined;
  private saving: Promise<void> = Promise.resolve();
  private copying: string | undefined;
  private cutoverRequested = false;
  /** Set once run() returned or failed: nothing is recorded after that. */
  private ended = false;
  private readonly lag = new LagGauge();
  private readonly batchSize: number;

  constructor(private readonly options: MigrationOptions) {
    this.batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) throw new RangeError('batchSize must be a positive integer');
  }

  progress(): MigrationProgress {
    const checkpoint = this.checkpoint;
    const phase: MigrationPhase = checkpoint?.phase ?? 'STARTING';
    const collections = checkpoint?.collections ?? [];
    return {
      phase,
      documentsCopied: checkpoint?.counters.documentsCopied ?? 0,
      collectionsCopied: collections.filter((entry) => entry.done).length,
      collectionsToCopy: collections.length,
      copying: this.copying,
      changesApplied: checkpoint?.counters.changesApplied ?? 0,
      lagSeconds: phase === 'COMPLETE' ? 0 : phase === 'TAILING' || phase === 'CUTTING_OVER' ? this.lag.seconds() : undefined,
      caughtUp: phase === 'COMPLETE' || ((phase === 'TAILING' || phase === 'CUTTING_OVER') && this.lag.isCaughtUp),
      skipped: checkpoint?.skipped ?? [],
    };
  }

  async requestCutover(): Promise<void> {
    const phase = this.checkpoint?.phase;
    if (phase === 'COMPLETE' || phase === 'CUTTING_OVER') return;
    if (this.ended) throw new MigrationError('MIGRATION_STOPPED', 'the migration has stopped: start it again to cut over');
    if (phase !== 'TAILING') {
      throw new MigrationError(
        'NOT_READY_FOR_CUTOVER',
        'the initial copy has not finished: cutover is possible once the migration applies changes',
      );
    }
    this.cutoverRequested = true;
    await this.record({ phase: 'CUTTING_OVER' });
  }

  async run(): Promise<MigrationOutcome> {
    const source = new MongoClient(this.options.source, {
      appName: 'livelink-migration',
      ...this.options.sourceClientOptions,
      // Read only what a majority has: what the change stream reports too, and what cannot roll back.
      readConcern: { level: 'majority' },
    });
    const destination = new MongoClient(this.options.destination, {
      appName: 'livelink-migration',
      ...this.options.destinationClientOptions,
      // A batch is recorded as copied only once it cannot roll back on the destination.
      writeConcern: { w: 'majority' },
      // Which commands the destination refused: a server error does not say which server sent it.
      monitorCommands: true,
    });
    const refusedByDestination = new WeakMap<Error, string>();
    destination.on('commandFailed', (event) => {
      if (event.failure instanceof MongoServerError) refusedByDestination.set(event.failure, event.commandName);
    });
    try {
      await Promise.all([source.connect(), destination.connect()]);
      const loaded = await this.options.checkpointStore.load();
      this.checkpoint = loaded ?? (await this.begin(source, destination));
      await this.emit();
      if (this.checkpoint.phase === 'COPYING' && (await this.copy(source, destination)) === 'aborted') return 'STOPPED';
      if (this.checkpoint.phase === 'TAILING' || this.checkpoint.phase === 'CUTTING_OVER') {
        if ((await this.tail(source, destination)) === 'aborted') return 'STOPPED';
        await this.finish(source, destination);
      }
      return 'COMPLETE';
    } catch (error) {
      throw destinationRefusal(error, refusedByDestination) ?? error;
    } finally {
      this.ended = true;
      await this.saving.catch(() => undefined);
      await Promise.allSettled([source.close(), destination.close()]);
    }
  }

  /** The first start: checks, the destination's preparation, the start point, then the plan. */
  private async begin(source: MongoClient, destination: MongoClient): Promise<MigrationCheckpoint> {
    requireReplicaSet(await describeDeployment(source));
    if (this.options.dropDestinationData === true) await dropUserDatabases(destination);
    // Taken before anything is read: every later write is in the change stream from here.
    const startAtOperationTime = await currentOperationTime(source);
    const plan = await listSourceNamespaces(source);
    if (this.options.dropDestinationData !== true)
      await refuseOverlap(
        destination,
        plan.definitions.map((definition) => definition.ns),
      );
    const checkpoint: MigrationCheckpoint = {
      version: 1,
      phase: 'COPYING',
      startAtOperationTime,
      collections: plan.definitions.map((definition) => ({ ...definition, done: false, documentsCopied: 0 })),
      skipped: plan.skipped,
      counters: { documentsCopied: 0, changesApplied: 0 },
      // The migration host's own record on its disk, in its real time (it has no rehearsal clock).
      updatedAt: new Date(),
    };
    this.checkpoint = checkpoint;
    await this.record({});
    return checkpoint;
  }

  private async copy(source: MongoClient, destination: MongoClient): Promise<'copied' | 'aborted'> {
    for (let index = 0; index < this.current().collections.length; index++) {
      const entry = this.current().collections[index];
      if (entry === undefined || entry.done) continue;
      if (this.options.signal?.aborted === true) return 'aborted';
      this.copying = namespaceKey(entry.ns);
      await this.emit();
      await ensureDefinition(destination, entry);
      if (entry.kind === 'collection') {
        await syncIndexes(source, destination, entry.ns, 'during-sync');
        const outcome = await copyCollectionDocuments({
          source,
          destination,
          ns: entry.ns,
          batchSize: this.batchSize,
          resumeFromId: entry.lastId,
          uuid: entry.uuid,
          ...(this.options.signal === undefined ? {} : { signal: this.options.signal }),
          onBatch: async ({ count, lastId }) => {
            const state = this.current();
            await this.record({
              collections: replaceAt(state.collections, index, (copy) => ({
                ...copy,
                documentsCopied: copy.documentsCopied + count,
                lastId,
              })),
              counters: { ...state.counters, documentsCopied: state.counters.documentsCopied + count },
            });
          },
        });
        if (outcome === 'aborted') return 'aborted';
      }
      await this.record({ collections: replaceAt(this.current().collections, index, (copy) => ({ ...copy, done: true })) });
    }
    this.copying = undefined;
    const copyCompletedAt = await currentOperationTime(source);
    await this.record({ phase: 'TAILING', copyCompletedAt });
    return 'copied';
  }

  private async tail(source: MongoClient, destination: MongoClient): Promise<'caught-up-for-cutover' | 'aborted'> {
    const checkpoint = this.current();
    if (checkpoint.phase === 'CUTTING_OVER') this.cutoverRequested = true;
    const copyCompletedAt = checkpoint.copyCompletedAt ?? checkpoint.startAtOperationTime;
    const applier = new ChangeApplier({
      source,
      destination,
      catalog: new NamespaceCatalog(source),
      copyCompletedAt,
      batchSize: this.batchSize,
    });
    this.lag.startAt(checkpoint.appliedThrough ?? checkpoint.startAtOperationTime);
    return tailChanges({
      source,
      applier,
      lag: this.lag,
      start:
        checkpoint.resumeToken === undefined
          ? { startAtOperationTime: checkpoint.startAtOperationTime }
          : { resumeAfter: checkpoint.resumeToken },
      maxAwaitTimeMS: this.options.maxAwaitTimeMS ?? DEFAULT_MAX_AWAIT_MS,
      maxBatch: this.batchSize,
      ...(this.options.signal === undefined ? {} : { signal: this.options.signal }),
      cutoverRequested: () => this.cutoverRequested,
      onApplied: async (resumeToken, count, appliedThrough) => {
        const state = this.current();
        await this.record({
          resumeToken,
          ...(appliedThrough === undefined ? {} : { appliedThrough }),
          counters: { ...state.counters, changesApplied: state.counters.changesApplied + count },
        });
      },
      onCaughtUp: async (resumeToken) => {
        if (resumeToken !== undefined) await this.record({ resumeToken });
        else await this.emit();
      },
    });
  }

  /** Writes are stopped and every change is applied: the indexes become exactly the source's. */
  private async finish(source: MongoClient, destination: MongoClient): Promise<void> {
    const { definitions } = await listSourceNamespaces(source);
    for (const definition of definitions) {
      if (definition.kind === 'collection') await syncIndexes(source, destination, definition.ns, 'final');
    }
    await this.record({ phase: 'COMPLETE' });
  }

  private current(): MigrationCheckpoint {
    if (this.checkpoint === undefined) throw new Error('the migration has no checkpoint yet');
    return this.checkpoint;
  }

  /**
   * Changes the checkpoint in memory at once and saves it after every earlier save: the store sees
   * the checkpoints in the order they were made, and a caller resumes only once its step is durable.
   */
  private record(change: Partial<Omit<MigrationCheckpoint, 'version'>>): Promise<void> {
    // Real time, as the first checkpoint's.
    const next: MigrationCheckpoint = { ...this.current(), ...change, updatedAt: new Date() };
    this.checkpoint = next;
    const saved = this.saving.then(() => this.options.checkpointStore.save(next));
    this.saving = saved;
    return saved.then(() => this.emit());
  }

  private async emit(): Promise<void> {
    try {
      await this.options.onProgress?.(this.progress());
    } catch {
      // A progress listener's failure is its own; the migration goes on.
    }
  }
}

function replaceAt(
  entries: readonly CollectionCopyState[],
  index: number,
  change: (entry: CollectionCopyState) => CollectionCopyState,
): CollectionCopyState[] {
  return entries.map((entry, at) => (at === index ? change(entry) : entry));
}

/**
 * The destination's refusal of what the migration asked of it (a user without the right, a server that
 * does not accept writes), as a failure that says so; undefined for any other failure. The migration
 * writes to the destination only, so a refused write is the destination's; any other server error is
 * the destination's when its client saw that command fail.
 */
function destinationRefusal(error: unknown, refusedByDestination: WeakMap<Error, string>): MigrationError | undefined {
  if (error instanceof MongoBulkWriteError || error instanceof MongoWriteConcernError) {
    return new MigrationError('DESTINATION_REFUSED', `The destination cluster refused a write: ${error.message}`, { cause: error });
  }
  if (!(error instanceof MongoServerError)) return undefined;
  const command = refusedByDestination.get(error);
  if (command === undefined) return undefined;
  return new MigrationError('DESTINATION_REFUSED', `The destination cluster refused the migration's ${command} command: ${error.message}`, {
    cause: error,
  });
}

async function dropUserDatabases(destination: MongoClient): Promise<void> {
  const { databases } = await destination.db('admin').admin().listDatabases({ nameOnly: true });
  for (const { name } of databases) if (!isInternalDatabase(name)) await destination.db(name).dropDatabase();
}

/** A destination namespace the source also has would mix the destination's documents into the copy. */
async function refuseOverlap(destination: MongoClient, namespaces: readonly { db: string; coll: string }[]): Promise<void> {
  const byDatabase = new Map<string, Set<string>>();
  for (const ns of namespaces) {
    const names = byDatabase.get(ns.db) ?? new Set<string>();
    names.add(ns.coll);
    byDatabase.set(ns.db, names);
  }
  const overlap: string[] = [];
  for (const [db, names] of byDatabase) {
    const existing: Document[] = await destination.db(db).listCollections({}, { nameOnly: true }).toArray();
    for (const info of existing) if (names.has(String(info['name']))) overlap.push(`${db}.${String(info['name'])}`);
  }
  if (overlap.length > 0) {
    throw new MigrationError(
      'DESTINATION_NOT_EMPTY',
      `the destination already has ${overlap.slice(0, 5).join(', ')}${overlap.length > 5 ? ` and ${overlap.length - 5} more` : ''}: drop them, or start the migration with dropDestinationData`,
    );
  }
}
