import type { Db } from '../../persistence/database.js';

/** The state changes livelink records, each in the same transaction as the change itself. */
export type AuditEventType =
  | 'ORG_LINK_CREATED'
  | 'ORG_LINK_DELETED'
  | 'ORG_LINK_FAILED'
  | 'LINK_TOKEN_ISSUED'
  | 'LINK_TOKEN_REVOKED'
  | 'API_KEY_CREATED'
  | 'API_KEY_DELETED';

export interface AuditEvent {
  id: number;
  orgId: string;
  eventType: AuditEventType;
  createdAt: string;
  details: Record<string, string | number | boolean | null>;
}

/** Appends one event inside the caller's transaction. There is deliberately no update or delete. */
export async function recordAuditEvent(
  tx: Db,
  orgId: string,
  eventType: AuditEventType,
  details: AuditEvent['details'],
  now: Date = new Date(),
): Promise<void> {
  await tx
    .insertInto('audit_events')
    .values({ org_id: orgId, event_type: eventType, created_at: now.toISOString(), details: JSON.stringify(details) })
    .execute();
}

export async function listAuditEvents(db: Db, orgId: string): Promise<AuditEvent[]> {
  const rows = await db.selectFrom('audit_events').selectAll().where('org_id', '=', orgId).orderBy('id').execute();
  return rows.map((row) => ({
    id: Number(row.id),
    orgId: row.org_id,
    eventType: row.event_type as AuditEventType,
    createdAt: row.created_at,
    details: JSON.parse(row.details) as AuditEvent['details'],
  }));
}
