import type { JobReportAnswer, TargetJobAnswer } from './migration-job.js';
import type { TargetAnswer, TargetClient, TargetOutcome } from './target-client.js';

/** The source's calls to the target besides the inventory push: the unlink, and the relay of a migration host's job. */
export type LinkCall = 'unlink' | 'migration-job' | 'migration-report';

export const LINK_CALLS: readonly LinkCall[] = ['unlink', 'migration-job', 'migration-report'];

export type TargetOutcomeKind = TargetOutcome['kind'];

export const TARGET_OUTCOMES: readonly TargetOutcomeKind[] = ['accepted', 'refused', 'unreachable', 'timeout', 'bad-response'];

/** What the source counts of its calls to the target; the composition root binds it to the metrics registry. */
export interface TargetCallMetrics {
  /** An inventory push ended (the link's first push, a re-sync, the sync loop's). */
  pushed(outcome: TargetOutcomeKind): void;
  linkCalled(call: LinkCall, outcome: TargetOutcomeKind): void;
}

/**
 * Counts how each call to the target ended, whoever made it (the link service, the sync loop, the migration
 * hosts' relay): every call goes through the one TargetClient, so each is counted once, here. A call that
 * throws rather than ending in an outcome (a fault of the caller's own, not of the target) is not counted.
 */
export class MeteredTargetClient implements TargetClient {
  constructor(
    private readonly inner: TargetClient,
    private readonly metrics: TargetCallMetrics,
  ) {}

  get baseUrl(): string {
    return this.inner.baseUrl;
  }

  // Each call's arguments passed through as they are: the wrapper adds the count and nothing else.
  async pushInventory(...call: Parameters<TargetClient['pushInventory']>): Promise<TargetOutcome> {
    const outcome = await this.inner.pushInventory(...call);
    this.metrics.pushed(outcome.kind);
    return outcome;
  }

  async forgetSource(...call: Parameters<TargetClient['forgetSource']>): Promise<TargetOutcome> {
    const outcome = await this.inner.forgetSource(...call);
    this.metrics.linkCalled('unlink', outcome.kind);
    return outcome;
  }

  async migrationJob(...call: Parameters<TargetClient['migrationJob']>): Promise<TargetAnswer<TargetJobAnswer>> {
    const answer = await this.inner.migrationJob(...call);
    this.metrics.linkCalled('migration-job', answer.kind);
    return answer;
  }

  async reportMigrationJob(...call: Parameters<TargetClient['reportMigrationJob']>): Promise<TargetAnswer<JobReportAnswer>> {
    const answer = await this.inner.reportMigrationJob(...call);
    this.metrics.linkCalled('migration-report', answer.kind);
    return answer;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
