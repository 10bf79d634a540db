/**
 * The migration host: a process of its own (`livelink migration-host run`), as an Ops Manager migration
 * host is a server of the source project that runs the migration. It talks to its source livelink only
 * (docs/live-migrations.md, "The migration host process"):
 *
 * - every poll interval it asks for its job (the ask is its heartbeat too);
 * - a VALIDATION job: it runs the checks (job-validation.ts) and reports SUCCESS or FAILED;
 * - a MIGRATION job: it runs the data plane (`runMigration`) with its checkpoint in the state folder,
 *   one file a job, reports progress every report interval and at each phase change, asks the data plane
 *   for cutover when an answer says `cutoverRequested`, stops when one says `stop`, and reports FAILED
 *   with the reason when the data plane fails.
 *
 * Nothing but the checkpoints is kept: killed at any moment and started again, it asks for its job, is
 * given the same migration, and goes on from the checkpoint.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MongoClient, MongoServerError, type MongoClientOptions } from 'mongodb';
import type { Logger } from 'pino';
import { scrubbed } from '../../shared/connection-string.js';
import { FileCheckpointStore } from '../live-migrations/data-plane/file-checkpoint-store.js';
import { MigrationError } from '../live-migrations/data-plane/migration-error.js';
import { runMigration, type LiveMigration, type MigrationProgress } from '../live-migrations/data-plane/run-migration.js';
import type { HostMigrationJob, JobReportAnswer, MigrationReport, MigrationReportPhase } from '../migration-link/migration-job.js';
import { AUTHENTICATION_FAILED, sourceClientOptions, validateJob, VALIDATION_MESSAGES } from './job-validation.js';
import { SourceRelayClient, type RelayResult } from './source-relay-client.js';

export interface MigrationHostOptions {
  /** The source livelink's base URL. */
  sourceUrl: string;
  /** The source project the host belongs to. */
  groupId: string;
  hostname: string;
  publicKey: string;
  privateKey: string;
  /** Where the checkpoints are kept, one file a migration job (`<jobId>.json`). */
  stateDir: string;
  /** Between two asks for the job. */
  pollIntervalMs: number;
  /** Between two progress reports of a running migration. Default 1000. */
  reportIntervalMs?: number;
  /** The data plane's batch size (documents a copied batch, changes an applied batch). Default 1000. */
  batchSize?: number;
  /** How long an unreachable source or destination is waited for before a step fails. Default 30 s (the driver's). */
  mongodbTimeoutMs?: number;
  /** PEM CA certificates trusted for the source livelink besides the system's. */
  sourceCa?: Buffer | undefined;
  logger: Logger;
  /** Stops the host: running migrations stop at their next batch, their checkpoints kept. */
  signal: AbortSignal;
}

const DEFAULT_REPORT_INTERVAL_MS = 1000;
const DEFAULT_MONGODB_TIMEOUT_MS = 30_000;
/** How long a check of which server went away may take, once a migration failed. */
const PROBE_TIMEOUT_MS = 2000;
/** The reports' limit on a message (migration-job.ts allows 2000 characters). */
const MAX_MESSAGE = 1000;

/** Runs the migration host until `options.signal` aborts. */
export async function runMigrationHost(options: MigrationHostOptions): Promise<void> {
  const host = new MigrationHostProcess(options);
  await host.run();
}

class MigrationHostProcess {
  readonly #client: SourceRelayClient;
  readonly #log: Logger;
  /** Validations being checked or reported, and those reported: a job is validated once. */
  readonly #validations = new Map<string, Promise<void>>();
  readonly #validated = new Set<string>();
  readonly #migrations = new Map<string, HostedMigration>();
  /** Migrations this process ended (completed, failed and reported, or stopped): never started again. */
  readonly #finished = new Set<string>();
  #lastPollError: string | undefined;

  constructor(private readonly options: MigrationHostOptions) {
    this.#log = options.logger;
    this.#client = new SourceRelayClient({
      sourceUrl: options.sourceUrl,
      groupId: options.groupId,
      hostname: options.hostname,
      publicKey: options.publicKey,
      privateKey: options.privateKey,
      extraCa: options.sourceCa,
      timeoutMs: 30_000,
    });
  }

  async run(): Promise<void> {
    const { signal } = this.options;
    await mkdir(this.options.stateDir, { recursive: true, mode: 0o700 });
    this.#log.info(
      { event: 'started', sourceUrl: this.options.sourceUrl, groupId: this.options.groupId, hostname: this.options.hostname },
      'migration host started',
    );
    try {
      while (!signal.aborted) {
        await this.#poll();
        await sleep(this.options.pollIntervalMs, undefined, { signal }).catch(() => undefined);
      }
    } finally {
      await Promise.allSettled([...this.#migrations.values()].map((migration) => migration.stop()));
      await Promise.allSettled(this.#validations.values());
      await this.#client.close();
      this.#log.info({ event: 'stopped' }, 'migration host stopped');
    }
  }

  async #poll(): Promise<void> {
    const answer = await this.#client.job();
    if (!answer.ok) {
      // Said once until it changes: a source that is down for an hour is one line, not 3,600.
      if (answer.message !== this.#lastPollError) this.#log.warn({ event: 'poll-failed', reason: answer.message }, 'could not get the job');
      this.#lastPollError = answer.message;
      return;
    }
    if (this.#lastPollError !== undefined) this.#log.info({ event: 'poll-recovered' }, 'the source answers again');
    this.#lastPollError = undefined;
    const { job } = answer.body;
    if (job === null) return;
    if (job.kind === 'VALIDATION') this.#validate(job);
    else this.#migrate(job);
  }

  #validate(job: HostMigrationJob): void {
    if (this.#validated.has(job.id) || this.#validations.has(job.id)) return;
    const work = (async () => {
      this.#log.info({ event: 'validation-started', jobId: job.id, sourceClusterName: job.sourceClusterName }, 'validating');
      const outcome = await validateJob(job, { timeoutMs: Math.min(this.#mongodbTimeoutMs, 10_000) });
      this.#log.info({ event: 'validation-finished', jobId: job.id, ...outcome }, `validation ${outcome.status}`);
      const reported = await this.#reportUntilTaken(job.id, () => ({ kind: 'VALIDATION', ...outcome }));
      if (reported) this.#validated.add(job.id);
    })()
      .catch((error: unknown) => this.#log.error({ event: 'validation-error', jobId: job.id, err: error }, 'the validation broke'))
      .finally(() => this.#validations.delete(job.id));
    this.#validations.set(job.id, work);
  }

  #migrate(job: HostMigrationJob): void {
    const running = this.#migrations.get(job.id);
    if (job.stop) {
      // FAILED or EXPIRED on the target: the migration ends here, whatever it was doing.
      if (!this.#finished.has(job.id)) this.#log.info({ event: 'migration-stop', jobId: job.id }, 'the target stopped the migration');
      this.#finished.add(job.id);
      if (running !== undefined) void running.stop();
      return;
    }
    if (running !== undefined) {
      running.follow({ cutoverRequested: job.cutoverRequested, stop: false });
      return;
    }
    if (this.#finished.has(job.id)) return;
    const migration = new HostedMigration(job, {
      checkpointFile: join(this.options.stateDir, `${job.id}.json`),
      batchSize: this.options.batchSize,
      mongodbTimeoutMs: this.#mongodbTimeoutMs,
      reportIntervalMs: this.options.reportIntervalMs ?? DEFAULT_REPORT_INTERVAL_MS,
      report: (progress) => this.#client.report(job.id, progress),
      reportUntilTaken: (report) => this.#reportUntilTaken(job.id, report),
      log: this.#log.child({ jobId: job.id }),
    });
    this.#migrations.set(job.id, migration);
    void migration
      .run()
      .catch((error: unknown) => this.#log.error({ event: 'migration-error', jobId: job.id, err: error }, 'the migration broke'))
      .finally(() => {
        this.#migrations.delete(job.id);
        if (!this.options.signal.aborted) this.#finished.add(job.id);
      });
    migration.follow({ cutoverRequested: job.cutoverRequested, stop: false });
  }

  get #mongodbTimeoutMs(): number {
    return this.options.mongodbTimeoutMs ?? DEFAULT_MONGODB_TIMEOUT_MS;
  }

  /**
   * Sends a job's final report until the source takes it, or says the target has no such job, or the
   * host stops; true when it was taken.
   */
  async #reportUntilTaken(jobId: string, report: () => Parameters<SourceRelayClient['report']>[1]): Promise<boolean> {
    let lastError: string | undefined;
    while (!this.options.signal.aborted) {
      const answer = await this.#client.report(jobId, report());
      if (answer.ok) return true;
      if (answer.status === 404 && answer.errorCode === 'LIVE_MIGRATION_NOT_FOUND') return false;
      if (answer.message !== lastError) this.#log.warn({ event: 'report-failed', jobId, reason: answer.message }, 'could not report');
      lastError = answer.message;
      await sleep(this.options.reportIntervalMs ?? DEFAULT_REPORT_INTERVAL_MS, undefined, { signal: this.options.signal }).catch(
        () => undefined,
      );
    }
    return false;
  }
}

interface HostedMigrationDependencies {
  checkpointFile: string;
  batchSize: number | undefined;
  mongodbTimeoutMs: number;
  reportIntervalMs: number;
  report(report: MigrationReport): Promise<RelayResult<JobReportAnswer>>;
  reportUntilTaken(report: () => MigrationReport): Promise<boolean>;
  log: Logger;
}

/** One migration job this host runs: the data plane, its reports, and what the target's answers ask. */
class HostedMigration {
  readonly #abort = new AbortController();
  #live: LiveMigration | undefined;
  #cutoverAsked = false;
  #ended: Promise<void> | undefined;
  #reportedPhase: MigrationReportPhase | undefined;
  #loggedPhase: MigrationReportPhase | undefined;
  /** One report in flight at a time; a phase change during one is sent right after it. */
  #reporting: Promise<void> | undefined;
  #reportAgain = false;
  /** Set once the data plane is done: only the final report (COMPLETE or FAILED) is sent after that. */
  #final = false;
  #lastReportError: string | undefined;

  constructor(
    private readonly job: HostMigrationJob,
    private readonly deps: HostedMigrationDependencies,
  ) {}

  run(): Promise<void> {
    this.#ended ??= this.#run();
    return this.#ended;
  }

  /** Acts on an answer of the target: cutover when asked (once the data plane accepts it), stop when told. */
  follow(answer: JobReportAnswer): void {
    if (answer.stop) {
      void this.stop();
      return;
    }
    const live = this.#live;
    if (!answer.cutoverRequested || this.#cutoverAsked || live === undefined) return;
    this.#cutoverAsked = true;
    this.deps.log.info({ event: 'cutover-requested' }, 'cutover requested: applying the last changes');
    live.cutover().catch((error: unknown) => {
      // Before the tail the data plane refuses; the next answer asks again.
      if (error instanceof MigrationError && error.code === 'NOT_READY_FOR_CUTOVER') this.#cutoverAsked = false;
      else if (!this.#abort.signal.aborted) this.deps.log.warn({ event: 'cutover-failed', err: error }, 'cutover did not complete');
    });
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#ended?.catch(() => undefined);
  }

  async #run(): Promise<void> {
    const { job, deps } = this;
    const sourceUri = job.source.connectionString;
    if (sourceUri === null) {
      await this.#fail(
        `${VALIDATION_MESSAGES.sourceUnreachable}: the source has no connection string for deployment ${job.sourceClusterName} ` +
          '(livelink deployment update --connection-string)',
      );
      return;
    }
    const timeouts = { serverSelectionTimeoutMS: deps.mongodbTimeoutMs, connectTimeoutMS: Math.min(deps.mongodbTimeoutMs, 10_000) };
    deps.log.info({ event: 'migration-started', sourceClusterName: job.sourceClusterName }, 'migration started (or resumed)');
    const live = runMigration({
      source: sourceUri,
      destination: job.destination.connectionString,
      checkpointStore: new FileCheckpointStore(deps.checkpointFile),
      dropDestinationData: job.dropDestinationData,
      ...(deps.batchSize === undefined ? {} : { batchSize: deps.batchSize }),
      signal: this.#abort.signal,
      sourceClientOptions: { ...timeouts, ...sourceClientOptions(job) },
      destinationClientOptions: timeouts,
      onProgress: (progress) => this.#progressed(progress),
    });
    this.#live = live;
    const timer = setInterval(() => this.#sendReport(), deps.reportIntervalMs);
    let outcome: Awaited<LiveMigration['done']> | { failure: unknown };
    try {
      outcome = await live.done;
    } catch (error) {
      outcome = { failure: error };
    }
    // The final report comes last: no progress report may follow it.
    this.#final = true;
    clearInterval(timer);
    while (this.#reporting !== undefined) await this.#reporting;
    if (typeof outcome === 'object') {
      if (this.#abort.signal.aborted) return;
      await this.#fail(await describeFailure(outcome.failure, job));
      return;
    }
    if (outcome === 'STOPPED') {
      deps.log.info({ event: 'migration-stopped' }, 'migration stopped; its checkpoint is kept');
      return;
    }
    deps.log.info({ event: 'migration-complete', ...counters(live.progress()) }, 'migration COMPLETE');
    await deps.reportUntilTaken(() => this.#reportOf(live.progress(), 'COMPLETE', null));
  }

  #progressed(progress: MigrationProgress): void {
    this.deps.log.debug({ event: 'progress', ...counters(progress) }, 'progress');
    if (progress.phase !== this.#loggedPhase) {
      this.#loggedPhase = progress.phase;
      this.deps.log.info({ event: 'phase', ...counters(progress) }, `phase ${progress.phase}`);
    }
    // A phase change is reported at once, not at the next tick.
    if (progress.phase !== this.#reportedPhase) this.#sendReport();
  }

  #sendReport(): void {
    const live = this.#live;
    if (live === undefined || this.#abort.signal.aborted || this.#final) return;
    if (this.#reporting !== undefined) {
      this.#reportAgain = true;
      return;
    }
    const progress = live.progress();
    // COMPLETE is the final report, sent once the data plane is done (run()).
    if (progress.phase === 'COMPLETE') return;
    const report = this.#reportOf(progress, progress.phase, null);
    this.#reporting = this.deps
      .report(report)
      .then((answer) => {
        if (answer.ok) {
          this.#reportedPhase = report.phase;
          this.#lastReportError = undefined;
          this.follow(answer.body);
          return;
        }
        if (answer.status === 404 && answer.errorCode === 'LIVE_MIGRATION_NOT_FOUND') {
          this.deps.log.warn({ event: 'migration-unknown' }, 'the target has no such migration: stopping it');
          void this.stop();
          return;
        }
        if (answer.message !== this.#lastReportError)
          this.deps.log.warn({ event: 'report-failed', reason: answer.message }, 'could not report');
        this.#lastReportError = answer.message;
      })
      .finally(() => {
        this.#reporting = undefined;
        if (this.#reportAgain) {
          this.#reportAgain = false;
          this.#sendReport();
        }
      });
  }

  async #fail(message: string): Promise<void> {
    const reason = message.slice(0, MAX_MESSAGE);
    this.deps.log.error({ event: 'migration-failed', reason }, 'migration FAILED');
    const progress = this.#live?.progress();
    await this.deps.reportUntilTaken(() => ({
      ...(progress === undefined ? emptyReport() : this.#reportOf(progress, 'FAILED', reason)),
      phase: 'FAILED',
      errorMessage: reason,
    }));
  }

  #reportOf(progress: MigrationProgress, phase: MigrationReportPhase, errorMessage: string | null): MigrationReport {
    return {
      kind: 'MIGRATION',
      phase,
      documentsCopied: progress.documentsCopied,
      collectionsCopied: progress.collectionsCopied,
      collectionsToCopy: progress.collectionsToCopy,
      changesApplied: progress.changesApplied,
      lagSeconds: phase === 'COMPLETE' ? 0 : (progress.lagSeconds ?? null),
      caughtUp: phase === 'COMPLETE' || progress.caughtUp,
      errorMessage,
    };
  }
}

function emptyReport(): MigrationReport {
  return {
    kind: 'MIGRATION',
    phase: 'STARTING',
    documentsCopied: 0,
    collectionsCopied: 0,
    collectionsToCopy: 0,
    changesApplied: 0,
    lagSeconds: null,
    caughtUp: false,
    errorMessage: null,
  };
}

function counters(progress: MigrationProgress): Record<string, unknown> {
  return {
    phase: progress.phase,
    documentsCopied: progress.documentsCopied,
    collectionsCopied: progress.collectionsCopied,
    collectionsToCopy: progress.collectionsToCopy,
    changesApplied: progress.changesApplied,
    lagSeconds: progress.lagSeconds ?? null,
    caughtUp: progress.caughtUp,
  };
}

/**
 * The reason a migration failed, for the target's GET and the organization's events. The data plane's
 * own failures say what to do; a driver error does not say which server went away, so both are asked,
 * briefly, and the one that does not answer is named. No credential of either string is ever repeated.
 */
async function describeFailure(error: unknown, job: HostMigrationJob): Promise<string> {
  const sourceUri = job.source.connectionString ?? '';
  const destinationUri = job.destination.connectionString;
  const raw = scrubbed(scrubbed(error instanceof Error ? error.message : String(error), sourceUri), destinationUri);
  if (error instanceof MigrationError) {
    return error.code === 'SOURCE_NOT_REPLICA_SET' ? `${VALIDATION_MESSAGES.standalone}: ${raw}` : raw;
  }
  const sourceAnswer = await probe(sourceUri, sourceClientOptions(job));
  if (sourceAnswer === 'wrong-credentials') return VALIDATION_MESSAGES.credentials;
  if (sourceAnswer === 'silent') return `${VALIDATION_MESSAGES.sourceUnreachable}: the source stopped answering (${raw})`;
  const destinationAnswer = await probe(destinationUri, {});
  if (destinationAnswer === 'wrong-credentials') return `The destination cluster refused the migration's credentials (${raw})`;
  if (destinationAnswer === 'silent') return `Could not reach the destination cluster: it stopped answering (${raw})`;
  return `The migration failed: ${raw}`;
}

/** Whether a server answers a ping with these credentials, refuses them (AuthenticationFailed), or does not answer. */
async function probe(uri: string, options: MongoClientOptions): Promise<'answers' | 'wrong-credentials' | 'silent'> {
  const client = new MongoClient(uri, { ...options, serverSelectionTimeoutMS: PROBE_TIMEOUT_MS, connectTimeoutMS: PROBE_TIMEOUT_MS });
  try {
    await client.db('admin').command({ ping: 1 });
    return 'answers';
  } catch (error) {
    return error instanceof MongoServerError && error.code === AUTHENTICATION_FAILED ? 'wrong-credentials' : 'silent';
  } finally {
    await client.close().catch(() => undefined);
  }
}
