import type { AuditEvent, NewAuditEvent } from './audit.js';

/**
 * Storage of the audit trail. It only appends: there is deliberately no update or delete. A service
 * appends through the store bound to its write transaction, so an event exists exactly when its change does.
 */
export interface AuditStore {
  append(event: NewAuditEvent): Promise<void>;
  /** The organization's events, oldest first. */
  list(orgId: string): Promise<AuditEvent[]>;
}
