import type { AuditEvent } from './audit.js';
import type { AuditStore } from './audit-store.js';

/**
 * Reading the audit trail. Events are written by the services whose changes they record, through the
 * AuditStore of the same write transaction; this service only reads.
 */
export class AuditService {
  constructor(private readonly store: AuditStore) {}

  /** The organization's events, newest first (as Ops Manager's events API lists them). */
  async newestFirst(orgId: string): Promise<AuditEvent[]> {
    return (await this.store.list(orgId)).reverse();
  }
}
