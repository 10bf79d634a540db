import type { SecretBox } from '../../crypto/secret-box.js';
import { apiErrors } from '../../http/api-error.js';
import type { WriteTransaction } from '../../persistence/write-transaction.js';
import { newObjectId } from '../../shared/ids.js';
import type { ApiKey } from '../api-keys/api-key.js';
import type { AuditStore } from '../audit/audit-store.js';
import type { AuditEventType } from '../audit/audit.js';
import type { AvailableDeployment, AvailableProject } from '../link-tokens/available-project.js';
import type { LinkTokenStore } from '../link-tokens/link-token-store.js';
import type { Organization, Project } from '../organizations/organization.js';
import {
  isActive,
  type HostKey,
  type JobInstructions,
  type HostPhase,
  type JobReport,
  type LiveMigration,
  type LiveMigrationFault,
  type LiveMigrationValidation,
  type MigrationFaultPhase,
  type MigrationJob,
  type MigrationPlan,
  type MigrationRequest,
  type SourceCredentials,
} from './live-migration.js';
import type {
  LiveMigrationFaultStore,
  LiveMigrationStore,
  LiveMigrationValidationStore,
  MigrationHostHeartbeatStore,
} from './live-migration-store.js';

/** A migration host not seen within this long is not running: a validation for it fails at once. */
export const HOST_ALIVE_MS = 30_000;
/** The host is caught up, so ready for cutover, when tailing with a lag of at most this. */
export const READY_LAG_SECONDS = 2;
/** Atlas's timer: readyForCutover not cut over within 120 hours is EXPIRED. */
export const DEFAULT_EXPIRY_HOURS = 120;
/** The reason of a migration expired by the rehearsal control before it was ever ready (Atlas's timer never does that). */
const EXPIRED_BEFORE_READY = 'It was expired by the rehearsal control before it was ready for cutover.';
/**
 * How long a cutover PUT waits for the host to finish. The server closes a socket idle for 60 s
 * (server.ts), so the answer must be written well before that.
 */
export const DEFAULT_CUTOVER_WAIT_MS = 55_000;

/** The destination cluster as this feature needs it (the clusters feature's Cluster). */
export interface DestinationCluster {
  id: string;
  groupId: string;
  name: string;
}

/** The target's destination clusters (the clusters feature's ClusterService, bound by the composition root). */
export interface DestinationClusters {
  findByName(groupId: string, name: string): Promise<DestinationCluster | undefined>;
  /** The cluster's connection string, opened from its seal: only ever for the host's job. */
  connectionString(clusterId: string): Promise<string | undefined>;
}

/** What the linked sources pushed, and which link-token a key belongs to (the link-token store). */
export type LinkedSources = Pick<LinkTokenStore, 'linkedSources' | 'findByApiKey'>;

/** What the live-migration service uses in a write transaction. */
export interface LiveMigrationWrites {
  liveMigrations: LiveMigrationStore;
  liveMigrationValidations: LiveMigrationValidationStore;
  liveMigrationFaults: LiveMigrationFaultStore;
  audit: AuditStore;
}

export interface LiveMigrationReads {
  liveMigrations: LiveMigrationStore;
  liveMigrationValidations: LiveMigrationValidationStore;
  /** Written outside write transactions: one idempotent upsert per poll, which nothing reads and writes together. */
  migrationHostHeartbeats: MigrationHostHeartbeatStore;
  liveMigrationFaults: LiveMigrationFaultStore;
}

/** The host's phase in which a FAIL_AT_PHASE fault fails a migration. */
const FAULT_PHASES: Readonly<Record<MigrationFaultPhase, HostPhase>> = { COPY: 'COPYING', TAIL: 'TAILING', CUTOVER: 'CUTTING_OVER' };

export interface LiveMigrationOptions {
  /** The one clock: expiry, heartbeats, every timestamp. */
  now: () => Date;
  /** readyForCutover not cut over within this many hours: EXPIRED. */
  expiryHours: number;
  /** How long a cutover PUT waits for COMPLETE, in real time (a test's frozen clock must not make it endless). */
  cutoverWaitMs: number;
  /** How often that wait looks at the migration: the host's report may arrive on another node. */
  cutoverPollMs: number;
}

/**
 * The target (Atlas) side of push live migrations: the static checks of a request, validations and
 * migrations and their states, the cutover, and the relay's target end through which the migration host
 * (behind its source) takes its job and reports. States: NEW → WORKING (first report) → readyForCutover
 * (tailing, caught up) → cutover requested → COMPLETE (the host applied everything); FAILED on a host's
 * failure report; EXPIRED when ready and not cut over within the expiry. A migration is active while NEW or
 * WORKING: one at a time per source organization and per destination cluster.
 */
export class LiveMigrationService {
  readonly #options: LiveMigrationOptions;

  constructor(
    private readonly reads: LiveMigrationReads,
    private readonly transaction: WriteTransaction<LiveMigrationWrites>,
    private readonly clusters: DestinationClusters,
    private readonly linkedSources: LinkedSources,
    private readonly secretBox: Pick<SecretBox, 'seal' | 'open' | 'isStale'>,
    options: Partial<LiveMigrationOptions> & Pick<LiveMigrationOptions, 'now'>,
  ) {
    this.#options = {
      now: options.now,
      expiryHours: options.expiryHours ?? DEFAULT_EXPIRY_HOURS,
      cutoverWaitMs: options.cutoverWaitMs ?? DEFAULT_CUTOVER_WAIT_MS,
      cutoverPollMs: options.cutoverPollMs ?? 200,
    };
  }

  #now(): Date {
    return this.#options.now();
  }

  /**
   * Checks a request and records a validation for the migration host to run. The host must have asked
   * for its job in the last 30 s; otherwise the validation is FAILED at once, saying so.
   */
  async validate(organization: Organization, project: Project, request: MigrationRequest): Promise<LiveMigrationValidation> {
    const { plan, credentials } = await this.#check(organization, project, request);
    const now = this.#now();
    const id = newObjectId(now);
    const alive = await this.#hostAlive(hostOf(plan), now);
    const validation: LiveMigrationValidation = {
      id,
      plan,
      sealedCredentials: alive ? this.#seal(validationBinding(id), credentials) : null,
      status: alive ? 'PENDING' : 'FAILED',
      errorMessage: alive
        ? null
        : `The migration host ${plan.migrationHost} has not contacted livelink in the last ${HOST_ALIVE_MS / 1000} seconds: ` +
          'start it (livelink migration-host run) and validate again.',
      createdAt: now.toISOString(),
      finishedAt: alive ? null : now.toISOString(),
    };
    await this.transaction(({ liveMigrationValidations }) => liveMigrationValidations.insert(validation));
    return validation;
  }

  async validation(project: Project, id: string): Promise<LiveMigrationValidation> {
    const found = await this.reads.liveMigrationValidations.get(id);
    if (found === undefined || found.plan.groupId !== project.id) throw apiErrors.liveMigrationValidationNotFound(id, project.id);
    return found;
  }

  /** Checks a request and creates the migration (NEW), unless its source organization or destination cluster has one running. */
  async create(organization: Organization, project: Project, request: MigrationRequest): Promise<LiveMigration> {
    const { plan, credentials } = await this.#check(organization, project, request);
    const now = this.#now();
    const id = newObjectId(now);
    const migration: LiveMigration = {
      id,
      plan,
      sealedCredentials: this.#seal(migrationBinding(id), credentials),
      status: 'NEW',
      phase: null,
      readyForCutover: false,
      readySince: null,
      lagSeconds: null,
      documentsCopied: 0,
      collectionsCopied: 0,
      collectionsToCopy: 0,
      changesApplied: 0,
      errorMessage: null,
      cutoverRequestedAt: null,
      endedAt: null,
      lastReportAt: null,
      stopAcknowledged: false,
      createdAt: now.toISOString(),
    };
    await this.transaction(async (writes) => {
      // An expired migration frees its slots before they are looked at.
      await this.#expireDue(writes);
      const active = await writes.liveMigrations.active(plan.orgId);
      const sameSource = active.find((other) => other.plan.sourceOrgId === plan.sourceOrgId);
      if (sameSource !== undefined) throw apiErrors.sourceOrgLiveMigrationInProgress(plan.sourceOrgId, sameSource.id);
      const sameCluster = active.find((other) => other.plan.destinationClusterId === plan.destinationClusterId);
      if (sameCluster !== undefined) throw apiErrors.destinationClusterLiveMigrationInProgress(plan.destinationClusterName, sameCluster.id);
      await writes.liveMigrations.insert(migration);
      await this.#event(writes, 'LIVE_MIGRATION_CREATED', migration, null);
    });
    return migration;
  }

  async migration(project: Project, id: string): Promise<LiveMigration> {
    const found = await this.#shown(id);
    if (found === undefined || found.plan.groupId !== project.id) throw apiErrors.liveMigrationNotFound(id, project.id);
    return found;
  }

  /**
   * Every organization's active migrations, as stored: what a scrape of /metrics reads. It changes nothing,
   * so a migration due to expire shows until a read of the API or the pages expires it.
   */
  async everyActive(): Promise<LiveMigration[]> {
    return this.reads.liveMigrations.allActive();
  }

  /**
   * The organization's latest migrations and validations, newest first, after expiring the due ones:
   * what the web page lists (the API reads one at a time, by id).
   */
  async recent(
    organization: Organization,
    limit: number,
  ): Promise<{ migrations: LiveMigration[]; validations: LiveMigrationValidation[] }> {
    await this.#expireDueNow();
    const [migrations, validations] = await Promise.all([
      this.reads.liveMigrations.recent(organization.id, limit),
      this.reads.liveMigrationValidations.recent(organization.id, limit),
    ]);
    const shown = await Promise.all(
      migrations.map(async (migration) =>
        isActive(migration.status)
          ? this.#withHeldLag(migration, await this.reads.liveMigrationFaults.forMigration(migration.id))
          : migration,
      ),
    );
    return { migrations: shown, validations };
  }

  /**
   * Asks the host to cut over, then waits (bounded) until it reports COMPLETE: it stops tailing only once
   * it applied every change, so the destination then equals the source the user stopped writing to.
   * `completed` is false when the wait ran out first: the cutover goes on, and the GET tells its end.
   */
  async cutover(project: Project, id: string): Promise<{ migration: LiveMigration; completed: boolean }> {
    const requested = await this.transaction(async (writes) => {
      await this.#expireDue(writes);
      const current = await writes.liveMigrations.get(id);
      if (current === undefined || current.plan.groupId !== project.id) throw apiErrors.liveMigrationNotFound(id, project.id);
      if (!isActive(current.status)) throw apiErrors.liveMigrationNotActive(id, current.status, current.errorMessage);
      const faults = await writes.liveMigrationFaults.forMigration(id);
      if (!this.#withHeldLag(current, faults).readyForCutover) throw apiErrors.liveMigrationNotReadyForCutover(id, current.status);
      if (current.cutoverRequestedAt !== null) return current;
      const updated: LiveMigration = { ...current, cutoverRequestedAt: this.#now().toISOString() };
      await writes.liveMigrations.save(updated);
      await this.#event(writes, 'LIVE_MIGRATION_CUTOVER_REQUESTED', updated, null);
      const failAtCutover = faults.find((fault) => fault.kind === 'FAIL_AT_PHASE' && fault.phase === 'CUTOVER');
      // A rehearsal's failure at cutover: the request was taken, and the migration fails there and then.
      if (failAtCutover !== undefined) return this.#fail(writes, updated, faultReason(failAtCutover));
      return updated;
    });
    // Real time: how long this request waits, which the rehearsal clock must not stretch or cut short.
    const deadline = Date.now() + this.#options.cutoverWaitMs;
    let latest = requested;
    for (;;) {
      if (latest.status === 'COMPLETE') return { migration: latest, completed: true };
      if (!isActive(latest.status)) throw apiErrors.liveMigrationNotActive(id, latest.status, latest.errorMessage);
      if (Date.now() >= deadline) return { migration: latest, completed: false };
      await delay(Math.min(this.#options.cutoverPollMs, Math.max(0, deadline - Date.now())));
      latest = (await this.reads.liveMigrations.get(id)) ?? latest;
    }
  }

  /**
   * The relay's GET of a host's job, which is also the host's heartbeat: a FAILED or EXPIRED migration the
   * host was not told of yet (once, with `stop`), else the oldest active migration or PENDING validation
   * assigned to it, else none.
   */
  async nextJob(
    organization: Organization,
    apiKey: ApiKey,
    sourceOrgId: string,
    sourceGroupId: string,
    hostname: string,
  ): Promise<MigrationJob | null> {
    await this.#admitRelay(organization, apiKey, sourceOrgId);
    const host: HostKey = { orgId: organization.id, sourceOrgId, sourceGroupId, hostname };
    await this.reads.migrationHostHeartbeats.record(host, this.#now().toISOString());
    await this.#expireDueNow();
    const migrations = await this.reads.liveMigrations.forHost(host);
    const ended = migrations.find((migration) => !isActive(migration.status));
    if (ended !== undefined) {
      await this.transaction(async ({ liveMigrations }) => {
        const current = await liveMigrations.get(ended.id);
        if (current !== undefined && !current.stopAcknowledged) await liveMigrations.save({ ...current, stopAcknowledged: true });
      });
      // The host only stops; a cluster deleted since leaves no connection string to give.
      return this.#jobOf('MIGRATION', ended, (await this.clusters.connectionString(ended.plan.destinationClusterId)) ?? '', {
        cutoverRequested: ended.cutoverRequestedAt !== null,
        stop: true,
      });
    }
    const candidates: { kind: MigrationJob['kind']; record: LiveMigration | LiveMigrationValidation }[] = [
      ...migrations.map((record) => ({ kind: 'MIGRATION' as const, record })),
      ...(await this.reads.liveMigrationValidations.pendingForHost(host)).map((record) => ({ kind: 'VALIDATION' as const, record })),
    ];
    const next = candidates.sort((a, b) => byCreation(a.record, b.record))[0];
    if (next === undefined) return null;
    const connectionString = await this.clusters.connectionString(next.record.plan.destinationClusterId);
    if (connectionString === undefined) {
      await this.#failJob(
        next.kind,
        next.record.id,
        `The destination cluster ${next.record.plan.destinationClusterName} no longer exists.`,
      );
      return null;
    }
    const cutoverRequested = next.kind === 'MIGRATION' && 'cutoverRequestedAt' in next.record && next.record.cutoverRequestedAt !== null;
    return this.#jobOf(next.kind, next.record, connectionString, { cutoverRequested, stop: false });
  }

  /**
   * The relay's PUT of a host's report on job `jobId`: moves the validation or migration on, and says what
   * the host is to do. Only the host given the job may report on it: the source admits a host's key for its
   * own project and hostname only, and names them here; any other job is not found.
   */
  async report(
    organization: Organization,
    apiKey: ApiKey,
    host: Omit<HostKey, 'orgId'>,
    jobId: string,
    report: JobReport,
  ): Promise<JobInstructions> {
    const { sourceOrgId } = host;
    await this.#admitRelay(organization, apiKey, sourceOrgId);
    const migration = await this.reads.liveMigrations.get(jobId);
    const validation = migration === undefined ? await this.reads.liveMigrationValidations.get(jobId) : undefined;
    const plan = migration?.plan ?? validation?.plan;
    if (
      plan === undefined ||
      plan.orgId !== organization.id ||
      plan.sourceOrgId !== sourceOrgId ||
      plan.sourceGroupId !== host.sourceGroupId ||
      plan.migrationHost !== host.hostname
    ) {
      throw apiErrors.liveMigrationJobNotFound(jobId, sourceOrgId);
    }
    // A host that reports is alive, whether or not it polled lately.
    await this.reads.migrationHostHeartbeats.record(hostOf(plan), this.#now().toISOString());
    const kind = migration === undefined ? 'VALIDATION' : 'MIGRATION';
    if (report.kind !== kind) throw apiErrors.invalidAttribute('kind', `job ${jobId} is a ${kind}.`);
    return report.kind === 'VALIDATION' ? this.#reportValidation(jobId, report) : this.#reportMigration(jobId, report);
  }

  /**
   * The destination projects of the organization's active migrations (of one source organization when
   * given), in the caller's transaction, after expiring the due ones: the link-token service refuses to
   * remove a link under them.
   */
  async activeProjectsIn(writes: LiveMigrationWrites, orgId: string, sourceOrgId?: string): Promise<string[]> {
    await this.#expireDue(writes);
    const active = await writes.liveMigrations.active(orgId);
    const projects = active.filter((migration) => sourceOrgId === undefined || migration.plan.sourceOrgId === sourceOrgId);
    return [...new Set(projects.map((migration) => migration.plan.groupId))];
  }

  // The rehearsal faults on a migration (issue "Rehearsal controls"): a migration found by its id alone,
  // active only; each fault stored, so that every node sharing the database applies it.

  /**
   * Fails the migration with `reason` when the host reports `phase` (CUTOVER: when cutover is requested,
   * or the host reports CUTTING_OVER), at once when it is in it already, as a real failure: FAILED, the
   * reason as its errorMessage, the organization's event, the host told to stop, the slots free.
   */
  async failAtPhase(liveMigrationId: string, phase: MigrationFaultPhase, reason: string): Promise<LiveMigrationFault> {
    return this.transaction(async (writes) => {
      const current = await this.#activeForControl(writes, liveMigrationId);
      const fault: LiveMigrationFault = {
        liveMigrationId,
        kind: 'FAIL_AT_PHASE',
        phase,
        reason: bounded(reason) ?? `The migration failed at ${phase} (a rehearsal fault).`,
        createdAt: this.#now().toISOString(),
      };
      const inPhase =
        phase === 'CUTOVER'
          ? current.cutoverRequestedAt !== null || current.phase === 'CUTTING_OVER'
          : current.phase === FAULT_PHASES[phase];
      if (inPhase) await this.#fail(writes, current, faultReason(fault));
      else await writes.liveMigrationFaults.put(fault);
      return fault;
    });
  }

  /** Shows `lagSeconds` as the migration's lag, readyForCutover following it, until the faults are cleared. */
  async holdLag(liveMigrationId: string, lagSeconds: number): Promise<LiveMigrationFault> {
    if (!Number.isFinite(lagSeconds) || lagSeconds < 0)
      throw apiErrors.invalidAttribute('lagSeconds', 'give a number of seconds, 0 or more.');
    return this.transaction(async (writes) => {
      await this.#activeForControl(writes, liveMigrationId);
      const fault: LiveMigrationFault = { liveMigrationId, kind: 'HOLD_LAG', lagSeconds, createdAt: this.#now().toISOString() };
      await writes.liveMigrationFaults.put(fault);
      return fault;
    });
  }

  /**
   * Sets readyForCutover now (and WORKING), as if the host had caught up (the expiry timer starts); a held lag is
   * released, since it would hide that. The cutover then asks the host, which cuts over once it tails.
   */
  async makeReadyForCutover(liveMigrationId: string): Promise<LiveMigration> {
    return this.transaction(async (writes) => {
      const current = await this.#activeForControl(writes, liveMigrationId);
      await writes.liveMigrationFaults.remove(liveMigrationId, 'HOLD_LAG');
      if (current.readyForCutover) return current;
      // A NEW migration made ready is WORKING, as one whose host reported would be.
      const ready: LiveMigration = {
        ...current,
        status: 'WORKING',
        readyForCutover: true,
        readySince: current.readySince ?? this.#now().toISOString(),
      };
      await writes.liveMigrations.save(ready);
      return ready;
    });
  }

  /**
   * EXPIRED now, as the expiry would: the host told to stop, the slots free, the organization's event. A
   * migration that was never ready for cutover gets a reason that says so: the timer's wording ("ready for
   * cutover for 120 hours") would be false of it.
   */
  async expireNow(liveMigrationId: string): Promise<LiveMigration> {
    return this.transaction(async (writes) => {
      const migration = await this.#activeForControl(writes, liveMigrationId);
      return this.#expire(writes, migration, migration.readySince === null ? EXPIRED_BEFORE_READY : undefined);
    });
  }

  /**
   * A migration by its id alone, as the API shows it (a held lag applied), after expiring the due ones:
   * what a rehearsal control answers with once it acted. 404 when there is none.
   */
  async migrationForControl(liveMigrationId: string): Promise<LiveMigration> {
    const found = await this.#shown(liveMigrationId);
    if (found === undefined) throw apiErrors.liveMigrationIdNotFound(liveMigrationId);
    return found;
  }

  /** The migration as the API shows it (a held lag applied), after expiring the due ones. */
  async #shown(id: string): Promise<LiveMigration | undefined> {
    await this.#expireDueNow();
    const found = await this.reads.liveMigrations.get(id);
    return found === undefined ? undefined : this.#withHeldLag(found, await this.reads.liveMigrationFaults.forMigration(id));
  }

  /** Every migration fault in force, oldest first. */
  async listFaults(): Promise<LiveMigrationFault[]> {
    return this.reads.liveMigrationFaults.list();
  }

  /** Removes every migration fault; how many. A held lag then shows the measured one again. */
  async clearFaults(): Promise<number> {
    return this.transaction(({ liveMigrationFaults }) => liveMigrationFaults.clear());
  }

  /**
   * Re-seals the source credentials sealed with an older key (see ApiKeyService.resealSecrets). They exist
   * only while a validation or migration runs, and each is replaced only while it is still the one read.
   */
  async resealSecrets(): Promise<number> {
    let resealed = 0;
    for (const migration of await this.reads.liveMigrations.withCredentials()) {
      const sealed = migration.sealedCredentials;
      if (sealed === null || !this.secretBox.isStale(sealed)) continue;
      const binding = migrationBinding(migration.id);
      const fresh = this.secretBox.seal(this.secretBox.open(sealed, binding), binding);
      await this.transaction(async ({ liveMigrations }) => {
        const current = await liveMigrations.get(migration.id);
        if (current?.sealedCredentials === sealed) await liveMigrations.save({ ...current, sealedCredentials: fresh });
      });
      resealed += 1;
    }
    for (const validation of await this.reads.liveMigrationValidations.withCredentials()) {
      const sealed = validation.sealedCredentials;
      if (sealed === null || !this.secretBox.isStale(sealed)) continue;
      const binding = validationBinding(validation.id);
      const fresh = this.secretBox.seal(this.secretBox.open(sealed, binding), binding);
      await this.transaction(async ({ liveMigrationValidations }) => {
        const current = await liveMigrationValidations.get(validation.id);
        if (current?.sealedCredentials === sealed) await liveMigrationValidations.save({ ...current, sealedCredentials: fresh });
      });
      resealed += 1;
    }
    return resealed;
  }

  async #reportValidation(id: string, report: Extract<JobReport, { kind: 'VALIDATION' }>): Promise<JobInstructions> {
    return this.transaction(async ({ liveMigrationValidations }) => {
      const current = await liveMigrationValidations.get(id);
      // Already ended (a second report): the host has nothing left to do for it.
      if (current === undefined || current.status !== 'PENDING') return { cutoverRequested: false, stop: true };
      await liveMigrationValidations.save({
        ...current,
        status: report.status,
        errorMessage:
          report.status === 'FAILED' ? (bounded(report.errorMessage) ?? 'The migration host reported a failure without a reason.') : null,
        finishedAt: this.#now().toISOString(),
        sealedCredentials: null,
      });
      return { cutoverRequested: false, stop: false };
    });
  }

  async #reportMigration(id: string, report: Extract<JobReport, { kind: 'MIGRATION' }>): Promise<JobInstructions> {
    return this.transaction(async (writes) => {
      await this.#expireDue(writes);
      const current = await writes.liveMigrations.get(id);
      if (current === undefined) throw new Error(`live migration ${id} disappeared`);
      const cutoverRequested = current.cutoverRequestedAt !== null;
      if (!isActive(current.status)) {
        // FAILED or EXPIRED: the host is told to stop, and now knows. COMPLETE: nothing more to do.
        if (current.status !== 'COMPLETE' && !current.stopAcknowledged)
          await writes.liveMigrations.save({ ...current, stopAcknowledged: true });
        return { cutoverRequested, stop: current.status !== 'COMPLETE' };
      }
      const at = this.#now().toISOString();
      const failAt = await this.#faultAtPhase(writes, id, report.phase);
      const progress = {
        phase: report.phase,
        documentsCopied: report.documentsCopied,
        collectionsCopied: report.collectionsCopied,
        collectionsToCopy: report.collectionsToCopy,
        changesApplied: report.changesApplied,
        lagSeconds: report.lagSeconds,
        lastReportAt: at,
      };
      if (failAt !== undefined) {
        await this.#fail(writes, { ...current, ...progress }, faultReason(failAt));
        return { cutoverRequested, stop: true };
      }
      if (report.phase === 'FAILED') {
        const failed: LiveMigration = {
          ...current,
          ...progress,
          status: 'FAILED',
          readyForCutover: false,
          errorMessage: bounded(report.errorMessage) ?? 'The migration host reported a failure without a reason.',
          endedAt: at,
          sealedCredentials: null,
          // It reported the failure itself: there is nobody to tell.
          stopAcknowledged: true,
        };
        await this.#saveEnded(writes, failed, 'LIVE_MIGRATION_FAILED', failed.errorMessage);
        return { cutoverRequested, stop: true };
      }
      if (report.phase === 'COMPLETE') {
        // COMPLETE is the end of a cutover; a host claiming it unasked would skip the user's confirmation.
        if (!cutoverRequested) throw apiErrors.invalidAttribute('phase', `live migration ${id} was not asked to cut over.`);
        const complete: LiveMigration = { ...current, ...progress, status: 'COMPLETE', endedAt: at, sealedCredentials: null };
        await this.#saveEnded(writes, complete, 'LIVE_MIGRATION_COMPLETED', null);
        return { cutoverRequested, stop: false };
      }
      const caughtUp =
        report.phase === 'TAILING' && (report.caughtUp || (report.lagSeconds !== null && report.lagSeconds <= READY_LAG_SECONDS));
      const ready = current.readyForCutover || caughtUp;
      await writes.liveMigrations.save({
        ...current,
        ...progress,
        status: 'WORKING',
        readyForCutover: ready,
        readySince: current.readySince ?? (ready ? at : null),
      });
      return { cutoverRequested, stop: false };
    });
  }

  /**
   * What a request names must exist where it says: the destination cluster in the path's project, the
   * source project among those a linked source organization pushed to this organization, the deployment
   * and the one migration host in that project. Each answer names what is wrong.
   */
  async #check(
    organization: Organization,
    project: Project,
    request: MigrationRequest,
  ): Promise<{ plan: MigrationPlan; credentials: SourceCredentials | null }> {
    const { source, destination } = request;
    if (destination.groupId !== project.id) {
      throw apiErrors.invalidAttribute('destination.groupId', `it must be the project of the request path, ${project.id}.`);
    }
    const [migrationHost, ...others] = request.migrationHosts;
    if (migrationHost === undefined || others.length > 0) {
      throw apiErrors.invalidAttribute('migrationHosts', `give exactly one migration host (got ${request.migrationHosts.length}).`);
    }
    if (destination.hostnameSchemaType !== 'PUBLIC') {
      throw apiErrors.invalidAttribute(
        'destination.hostnameSchemaType',
        'livelink reaches a destination cluster by its connection string only: use PUBLIC.',
      );
    }
    if (destination.privateLinkId !== null) {
      throw apiErrors.invalidAttribute('destination.privateLinkId', 'livelink has no private endpoints: leave it out.');
    }
    if (request.shardingEntries > 0) {
      throw apiErrors.invalidAttribute('sharding', "livelink's destination clusters are replica sets: leave shardingEntries empty.");
    }
    const credentials = credentialsOf(source);
    const cluster = await this.clusters.findByName(project.id, destination.clusterName);
    if (cluster === undefined) throw apiErrors.clusterNotFoundInGroup(destination.clusterName, project.id);
    const pushed = await this.#pushedProject(organization.id, source.groupId);
    if (pushed === undefined) throw apiErrors.liveMigrationSourceProjectNotFound(source.groupId, organization.id);
    const deployment: AvailableDeployment | undefined = pushed.project.deployments.find((d) => d.name === source.clusterName);
    if (deployment === undefined) throw apiErrors.liveMigrationSourceClusterNotFound(source.clusterName, source.groupId);
    if (deployment.sharded) {
      throw apiErrors.invalidAttribute('source.clusterName', `${source.clusterName} is a sharded cluster: livelink migrates replica sets.`);
    }
    if (!pushed.project.migrationHosts.includes(migrationHost)) throw apiErrors.liveMigrationHostNotFound(migrationHost, source.groupId);
    return {
      plan: {
        orgId: organization.id,
        groupId: project.id,
        sourceOrgId: pushed.sourceOrgId,
        sourceGroupId: source.groupId,
        sourceClusterName: source.clusterName,
        destinationClusterId: cluster.id,
        destinationClusterName: cluster.name,
        migrationHost,
        dropDestinationData: request.dropDestinationData,
        managedAuthentication: source.managedAuthentication,
        ssl: source.ssl,
        caCertificatePath: source.caCertificatePath,
      },
      credentials,
    };
  }

  async #pushedProject(orgId: string, sourceGroupId: string): Promise<{ sourceOrgId: string; project: AvailableProject } | undefined> {
    for (const linked of await this.linkedSources.linkedSources(orgId)) {
      const project = linked.projects.find((p) => p.projectId === sourceGroupId);
      if (project !== undefined) return { sourceOrgId: linked.sourceOrgId, project };
    }
    return undefined;
  }

  /**
   * The relay's key is a link-token's, and only the source organization that pushed under that token may
   * take or report its jobs; anything else is answered as for a revoked key.
   */
  async #admitRelay(organization: Organization, apiKey: ApiKey, sourceOrgId: string): Promise<void> {
    const token = await this.linkedSources.findByApiKey(organization.id, apiKey.id);
    if (token === undefined) throw apiErrors.userUnauthorized();
    const linked = (await this.linkedSources.linkedSources(organization.id)).find((source) => source.sourceOrgId === sourceOrgId);
    if (linked === undefined || linked.linkTokenId !== token.id) throw apiErrors.userUnauthorized();
  }

  async #hostAlive(host: HostKey, now: Date): Promise<boolean> {
    const lastSeen = await this.reads.migrationHostHeartbeats.lastSeen(host);
    return lastSeen !== undefined && now.getTime() - Date.parse(lastSeen) <= HOST_ALIVE_MS;
  }

  /** Expires the due migrations, if there are any: looked for outside a transaction first, since nearly always there are none. */
  async #expireDueNow(): Promise<void> {
    if ((await this.reads.liveMigrations.readyUncutBefore(this.#expiryCutoff())).length === 0) return;
    await this.transaction((writes) => this.#expireDue(writes));
  }

  async #expireDue(writes: LiveMigrationWrites): Promise<void> {
    for (const due of await writes.liveMigrations.readyUncutBefore(this.#expiryCutoff())) await this.#expire(writes, due);
  }

  /** EXPIRED, as Atlas's timer ends a migration: the host is told to stop, the slots are free. */
  async #expire(writes: LiveMigrationWrites, migration: LiveMigration, why?: string): Promise<LiveMigration> {
    const expired: LiveMigration = {
      ...migration,
      status: 'EXPIRED',
      readyForCutover: false,
      errorMessage: why ?? `It was ready for cutover for ${this.#options.expiryHours} hours without being cut over.`,
      endedAt: this.#now().toISOString(),
      sealedCredentials: null,
      stopAcknowledged: false,
    };
    await this.#saveEnded(writes, expired, 'LIVE_MIGRATION_EXPIRED', expired.errorMessage);
    return expired;
  }

  /** FAILED by the target (not by the host's report): the host is told to stop, the slots are free. */
  async #fail(writes: LiveMigrationWrites, migration: LiveMigration, why: string): Promise<LiveMigration> {
    const failed: LiveMigration = {
      ...migration,
      status: 'FAILED',
      readyForCutover: false,
      errorMessage: why,
      endedAt: this.#now().toISOString(),
      sealedCredentials: null,
      stopAcknowledged: false,
    };
    await this.#saveEnded(writes, failed, 'LIVE_MIGRATION_FAILED', why);
    return failed;
  }

  /** A migration's end: saved, its rehearsal faults gone with it, the organization's event. */
  async #saveEnded(writes: LiveMigrationWrites, ended: LiveMigration, eventType: AuditEventType, why: string | null): Promise<void> {
    await writes.liveMigrations.save(ended);
    await writes.liveMigrationFaults.remove(ended.id);
    await this.#event(writes, eventType, ended, why);
  }

  /** The migration's FAIL_AT_PHASE fault when the host reports the phase it names. */
  async #faultAtPhase(writes: LiveMigrationWrites, id: string, phase: HostPhase): Promise<LiveMigrationFault | undefined> {
    const faults = await writes.liveMigrationFaults.forMigration(id);
    return faults.find((fault) => fault.kind === 'FAIL_AT_PHASE' && fault.phase !== undefined && FAULT_PHASES[fault.phase] === phase);
  }

  /**
   * The migration as a HOLD_LAG fault shows it: the held lag instead of the measured one, and
   * readyForCutover following it (ready only while tailing with a held lag of at most 2 s). The stored
   * record keeps what the host measured, which is what shows again once the fault is cleared.
   */
  #withHeldLag(migration: LiveMigration, faults: readonly LiveMigrationFault[]): LiveMigration {
    const held = faults.find((fault) => fault.kind === 'HOLD_LAG')?.lagSeconds;
    if (held === undefined || !isActive(migration.status)) return migration;
    const tailing = migration.phase === 'TAILING' || migration.phase === 'CUTTING_OVER';
    return { ...migration, lagSeconds: held, readyForCutover: tailing && held <= READY_LAG_SECONDS };
  }

  /** An active migration, by its id alone, for a rehearsal control; after expiring the due ones. */
  async #activeForControl(writes: LiveMigrationWrites, id: string): Promise<LiveMigration> {
    await this.#expireDue(writes);
    const current = await writes.liveMigrations.get(id);
    if (current === undefined) throw apiErrors.liveMigrationIdNotFound(id);
    if (!isActive(current.status)) {
      throw apiErrors.liveMigrationNotActive(
        id,
        current.status,
        current.errorMessage,
        'a rehearsal control acts on an active migration only',
      );
    }
    return current;
  }

  #expiryCutoff(): string {
    return new Date(this.#now().getTime() - this.#options.expiryHours * 3_600_000).toISOString();
  }

  async #failJob(kind: MigrationJob['kind'], id: string, why: string): Promise<void> {
    const at = this.#now().toISOString();
    await this.transaction(async (writes) => {
      if (kind === 'VALIDATION') {
        const current = await writes.liveMigrationValidations.get(id);
        if (current?.status !== 'PENDING') return;
        await writes.liveMigrationValidations.save({
          ...current,
          status: 'FAILED',
          errorMessage: why,
          finishedAt: at,
          sealedCredentials: null,
        });
        return;
      }
      const current = await writes.liveMigrations.get(id);
      if (current === undefined || !isActive(current.status)) return;
      await this.#fail(writes, current, why);
    });
  }

  #jobOf(
    kind: MigrationJob['kind'],
    record: LiveMigration | LiveMigrationValidation,
    connectionString: string,
    instructions: JobInstructions,
  ): MigrationJob {
    const { plan } = record;
    const binding = kind === 'MIGRATION' ? migrationBinding(record.id) : validationBinding(record.id);
    const credentials =
      record.sealedCredentials === null ? null : (JSON.parse(this.secretBox.open(record.sealedCredentials, binding)) as SourceCredentials);
    return {
      id: record.id,
      kind,
      sourceGroupId: plan.sourceGroupId,
      sourceClusterName: plan.sourceClusterName,
      source: {
        managedAuthentication: plan.managedAuthentication,
        username: credentials?.username ?? null,
        password: credentials?.password ?? null,
        ssl: plan.ssl,
        caCertificatePath: plan.caCertificatePath,
      },
      destination: { clusterName: plan.destinationClusterName, connectionString },
      dropDestinationData: plan.dropDestinationData,
      ...instructions,
    };
  }

  #seal(binding: string, credentials: SourceCredentials | null): string | null {
    return credentials === null ? null : this.secretBox.seal(JSON.stringify(credentials), binding);
  }

  async #event(writes: LiveMigrationWrites, eventType: AuditEventType, migration: LiveMigration, why: string | null): Promise<void> {
    const { plan } = migration;
    await writes.audit.append({
      orgId: plan.orgId,
      eventType,
      details: {
        liveMigrationId: migration.id,
        groupId: plan.groupId,
        sourceOrgId: plan.sourceOrgId,
        sourceGroupId: plan.sourceGroupId,
        sourceClusterName: plan.sourceClusterName,
        destinationClusterName: plan.destinationClusterName,
        migrationHost: plan.migrationHost,
        ...(why === null ? {} : { reason: why }),
      },
      createdAt: this.#now().toISOString(),
    });
  }
}

/**
 * The source's credentials: none when Automation manages authentication (the Atlas CLI sends empty
 * strings then, which the routes turn into null), both otherwise.
 */
function credentialsOf(source: MigrationRequest['source']): SourceCredentials | null {
  if (source.managedAuthentication) {
    if (source.username !== null || source.password !== null) {
      throw apiErrors.invalidAttribute('source.username', 'leave username and password out when managedAuthentication is true.');
    }
    return null;
  }
  if (source.username === null) throw apiErrors.missingAttribute('source.username');
  if (source.password === null) throw apiErrors.missingAttribute('source.password');
  return { username: source.username, password: source.password };
}

function hostOf(plan: MigrationPlan): HostKey {
  return { orgId: plan.orgId, sourceOrgId: plan.sourceOrgId, sourceGroupId: plan.sourceGroupId, hostname: plan.migrationHost };
}

function byCreation(a: { createdAt: string; id: string }, b: { createdAt: string; id: string }): number {
  return a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** A host's words, trimmed and bounded: shown in the API and the events. */
function bounded(message: string | null | undefined): string | null {
  const text = message?.trim() ?? '';
  return text === '' ? null : text.slice(0, 1000);
}

/** A fault's reason, as the migration's errorMessage. */
function faultReason(fault: LiveMigrationFault): string {
  return fault.reason ?? `The migration failed at ${fault.phase ?? 'a phase'} (a rehearsal fault).`;
}

function validationBinding(id: string): string {
  return `live_migration_validations|${id}`;
}

function migrationBinding(id: string): string {
  return `live_migrations|${id}`;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
