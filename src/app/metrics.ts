import type { Logger } from 'pino';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type LabelValues } from 'prom-client';
import type { LiveMigration } from '../features/live-migrations/live-migration.js';
import type { WriteCounts } from '../persistence/database.js';
import {
  LINK_CALLS,
  TARGET_OUTCOMES,
  type LinkCall,
  type TargetCallMetrics,
  type TargetOutcomeKind,
} from '../features/migration-link/metered-target-client.js';
import { DIGEST_FAILURE_REASONS, type DigestFailureReason, type EdgeMetrics, type ResponseMeter } from '../http/edge-metrics.js';

/** The labels of a live migration's series: bounded, since a migration has series only while it is active. */
const MIGRATION_LABELS = ['live_migration_id', 'group_id', 'cluster_name'] as const;
type MigrationLabel = (typeof MIGRATION_LABELS)[number];

/**
 * livelink's Prometheus metrics (prom-client), one registry a Livelink: several in one process (the tests)
 * never share a series. The parts count through the small interfaces they declare (the edge's EdgeMetrics,
 * the link's TargetCallMetrics); this is the one module that knows prom-client. Counters count what this process did; what every node
 * sharing the database should agree on is read from the database when Prometheus scrapes.
 */
export class LivelinkMetrics {
  readonly registry = new Registry();
  readonly edge: EdgeMetrics;
  readonly targetCalls: TargetCallMetrics;
  /** The active migrations read for the scrape in progress: one read serves every gauge of it. */
  #scrape: Promise<readonly LiveMigration[]> | undefined;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    const requests = new Counter({
      name: 'livelink_http_requests_total',
      help: 'HTTP answers sent, by route (the route table name, or the path template), method and status',
      labelNames: ['route', 'method', 'status'] as const,
      registers: [this.registry],
    });
    const durations = new Histogram({
      name: 'livelink_http_request_duration_seconds',
      help: 'Time from the request to its answer being sent, by route and method',
      labelNames: ['route', 'method'] as const,
      // Most answers take well under a millisecond; a call to the target can take seconds.
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
    const digestFailures = new Counter({
      name: 'livelink_digest_failures_total',
      help: 'Digest answers that did not authenticate, by reason',
      labelNames: ['reason'] as const,
      registers: [this.registry],
    });
    const failureByReason = new Map(DIGEST_FAILURE_REASONS.map((reason) => [reason, zeroed(digestFailures, { reason })]));

    const pushes = new Counter({
      name: 'livelink_sync_pushes_total',
      help: "The source's inventory pushes to the target (the link's first, re-syncs, the sync loop's), by outcome",
      labelNames: ['outcome'] as const,
      registers: [this.registry],
    });
    const linkCalls = new Counter({
      name: 'livelink_link_calls_total',
      help: "The source's other calls to the target over the link (unlink, a migration host's job and reports), by outcome",
      labelNames: ['call', 'outcome'] as const,
      registers: [this.registry],
    });
    const pushByOutcome = new Map(TARGET_OUTCOMES.map((outcome) => [outcome, zeroed(pushes, { outcome })]));
    const linkCallBy = new Map(
      LINK_CALLS.flatMap((call) => TARGET_OUTCOMES.map((outcome) => [`${call} ${outcome}`, zeroed(linkCalls, { call, outcome })])),
    );
    this.targetCalls = {
      pushed(outcome: TargetOutcomeKind) {
        pushByOutcome.get(outcome)?.inc();
      },
      linkCalled(call: LinkCall, outcome: TargetOutcomeKind) {
        linkCallBy.get(`${call} ${outcome}`)?.inc();
      },
    };

    this.edge = {
      responses(route, method): ResponseMeter {
        const duration = durations.labels(route, method);
        // The statuses a route answers are few; each one's counter is bound on its first answer.
        const byStatus = new Map<number, Counter.Internal>();
        return {
          answered(status, seconds) {
            let counter = byStatus.get(status);
            if (counter === undefined) {
              counter = requests.labels(route, method, String(status));
              byStatus.set(status, counter);
            }
            counter.inc();
            duration.observe(seconds);
          },
        };
      },
      digestFailure(reason: DigestFailureReason) {
        failureByReason.get(reason)?.inc();
      },
    };
  }

  /**
   * The target's live migrations, read from the database at each scrape (prom-client's collect), so that
   * every node sharing the database shows the same figures, whichever node the host reports to. A read
   * that fails leaves the migrations' series out of that scrape (logged) rather than failing the scrape.
   */
  watchLiveMigrations(readActive: () => Promise<readonly LiveMigration[]>, logger: Logger): void {
    const active = (): Promise<readonly LiveMigration[]> =>
      (this.#scrape ??= readActive().catch((error: unknown) => {
        logger.warn({ err: error, event: 'metrics-read-failed' }, 'the live migrations could not be read for /metrics');
        return [];
      }));
    const registry = this.registry;
    new Gauge({
      name: 'livelink_live_migrations_active',
      help: 'Live migrations NEW or WORKING on this target',
      registers: [registry],
      async collect() {
        this.set((await active()).length);
      },
    });
    const perMigration = (name: string, help: string, value: (migration: LiveMigration) => number | undefined): void => {
      new Gauge({
        name,
        help,
        labelNames: MIGRATION_LABELS,
        registers: [registry],
        async collect() {
          // Only the migrations active now: an ended one's series disappear with it.
          this.reset();
          for (const migration of await active()) {
            const figure = value(migration);
            if (figure !== undefined) this.set(migrationLabels(migration), figure);
          }
        },
      });
    };
    perMigration(
      'livelink_live_migration_lag_seconds',
      "The host's measured lag (the age of the last change applied), once it has one",
      (m) => m.lagSeconds ?? undefined,
    );
    perMigration('livelink_live_migration_documents_copied', 'Documents the initial copy has copied so far', (m) => m.documentsCopied);
    perMigration(
      'livelink_live_migration_copy_throughput_documents_per_second',
      "Documents copied a second, from the migration's creation to the host's last report, while it copies",
      copyThroughput,
    );
    perMigration('livelink_live_migration_ready_for_cutover', '1 once the migration is ready for cutover', (m) =>
      m.readyForCutover ? 1 : 0,
    );
  }

  /**
   * This process's write transactions and the COMMITs they took, read at each scrape: their quotient is
   * how many transactions a commit (on SQLite an fsync) carries.
   */
  watchWrites(counts: () => Readonly<WriteCounts>): void {
    const registry = this.registry;
    new Counter({
      name: 'livelink_database_write_transactions_total',
      help: 'Write transactions committed by this process',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(counts().transactions);
      },
    });
    new Counter({
      name: 'livelink_database_commits_total',
      help: 'COMMITs of write transactions by this process (on SQLite several transactions can share one)',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(counts().commits);
      },
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  async render(): Promise<string> {
    this.#scrape = undefined;
    try {
      return await this.registry.metrics();
    } finally {
      this.#scrape = undefined;
    }
  }
}

/** A counter's series for `labels`, shown at 0 from the start: a rate() over a series that appears late misses its first rise. */
function zeroed<T extends string>(counter: Counter<T>, labels: LabelValues<T>): Counter.Internal {
  counter.inc(labels, 0);
  return counter.labels(labels);
}

function migrationLabels(migration: LiveMigration): LabelValues<MigrationLabel> {
  return { live_migration_id: migration.id, group_id: migration.plan.groupId, cluster_name: migration.plan.destinationClusterName };
}

/** Undefined outside the copy phase: once the copy is over, an average that keeps falling would mislead. */
function copyThroughput(migration: LiveMigration): number | undefined {
  if (migration.phase !== 'COPYING' || migration.lastReportAt === null) return undefined;
  const seconds = (Date.parse(migration.lastReportAt) - Date.parse(migration.createdAt)) / 1000;
  return seconds > 0 ? migration.documentsCopied / seconds : undefined;
}
