/** The state changes livelink records, each in the same transaction as the change itself. */
export type AuditEventType =
  | 'ORG_LINK_CREATED'
  | 'ORG_LINK_DELETED'
  | 'ORG_LINK_FAILED'
  | 'LINK_TOKEN_ISSUED'
  | 'LINK_TOKEN_REVOKED'
  | 'API_KEY_CREATED'
  | 'API_KEY_DELETED'
  | 'API_KEY_DESCRIPTION_CHANGED'
  | 'API_KEY_ROLES_CHANGED'
  | 'API_KEY_ACCESS_LIST_ENTRY_ADDED'
  | 'API_KEY_ACCESS_LIST_ENTRY_DELETED'
  | 'LIVE_MIGRATION_CREATED'
  | 'LIVE_MIGRATION_CUTOVER_REQUESTED'
  | 'LIVE_MIGRATION_COMPLETED'
  | 'LIVE_MIGRATION_FAILED'
  | 'LIVE_MIGRATION_EXPIRED';

export interface AuditEvent {
  id: number;
  orgId: string;
  eventType: AuditEventType;
  createdAt: string;
  /** Never a secret. */
  details: Record<string, string | number | boolean | null>;
}

/** An event about to be appended: the store gives it its id. */
export type NewAuditEvent = Omit<AuditEvent, 'id'>;
