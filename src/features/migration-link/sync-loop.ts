import type { Logger } from 'pino';
import type { Lease } from '../../persistence/lease.js';
import type { MigrationLinkService } from './migration-link-service.js';

/**
 * Pushes linked organizations' inventories: soon after a change (the loop looks every `tickMs`, and a
 * change made by any process — the CLI included — shows as a new inventory version) and at least every
 * `intervalMs`. One pass at a time; stop() waits for the pass in flight.
 *
 * With several nodes on one database only the holder of the `sync` lease pushes; the lease is renewed
 * every tick, and another node takes it over once the holder has missed renewing it for the lease's
 * time to live (it died).
 */
export class SyncLoop {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(
    private readonly links: MigrationLinkService,
    private readonly lease: Lease,
    private readonly intervalMs: number,
    private readonly logger: Logger,
    private readonly tickMs = 1000,
  ) {}

  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      if (this.#running === undefined) this.#running = this.pass().finally(() => (this.#running = undefined));
    }, this.tickMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
    await this.lease.release().catch(() => undefined);
  }

  async pass(): Promise<void> {
    try {
      if (!(await this.lease.acquire())) return;
      for (const report of await this.links.syncDue(this.intervalMs)) {
        if (report.status === 'SYNCED') this.logger.debug({ event: 'org-synced', orgId: report.orgId }, 'inventory pushed');
        else this.logger.warn({ event: 'org-sync-failed', orgId: report.orgId, error: report.error }, 'inventory push failed');
      }
    } catch (error) {
      this.logger.error({ err: error }, 'sync pass failed');
    }
  }
}
