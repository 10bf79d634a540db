import type { Db } from '../../persistence/database.js';
import type { AuditEvent, AuditEventType, NewAuditEvent } from './audit.js';
import type { AuditStore } from './audit-store.js';

/** AuditStore on Kysely: one implementation for SQLite and PostgreSQL. */
export class AuditKyselyStore implements AuditStore {
  constructor(private readonly db: Db) {}

  async append(event: NewAuditEvent): Promise<void> {
    await this.db
      .insertInto('audit_events')
      .values({ org_id: event.orgId, event_type: event.eventType, created_at: event.createdAt, details: JSON.stringify(event.details) })
      .execute();
  }

  async list(orgId: string): Promise<AuditEvent[]> {
    const rows = await this.db.selectFrom('audit_events').selectAll().where('org_id', '=', orgId).orderBy('id').execute();
    return rows.map((row) => ({
      id: Number(row.id),
      orgId: row.org_id,
      eventType: row.event_type as AuditEventType,
      createdAt: row.created_at,
      details: JSON.parse(row.details) as AuditEvent['details'],
    }));
  }
}
