import type { Db } from '../../persistence/database.js';
import type { LiveMigrationFaultRow } from '../../persistence/schema.js';
import type { LiveMigrationFault, MigrationFaultPhase } from './live-migration.js';
import type { LiveMigrationFaultStore } from './live-migration-store.js';

/** LiveMigrationFaultStore on Kysely: one implementation for SQLite and PostgreSQL. */
export class LiveMigrationFaultKyselyStore implements LiveMigrationFaultStore {
  constructor(private readonly db: Db) {}

  async put(fault: LiveMigrationFault): Promise<void> {
    const row = toRow(fault);
    await this.db
      .insertInto('live_migration_faults')
      .values(row)
      .onConflict((oc) =>
        oc
          .columns(['live_migration_id', 'kind'])
          .doUpdateSet({ phase: row.phase, reason: row.reason, lag_seconds: row.lag_seconds, created_at: row.created_at }),
      )
      .execute();
  }

  async forMigration(liveMigrationId: string): Promise<LiveMigrationFault[]> {
    const rows = await this.db
      .selectFrom('live_migration_faults')
      .selectAll()
      .where('live_migration_id', '=', liveMigrationId)
      .orderBy('kind')
      .execute();
    return rows.map(toFault);
  }

  async list(): Promise<LiveMigrationFault[]> {
    const rows = await this.db
      .selectFrom('live_migration_faults')
      .selectAll()
      .orderBy('created_at')
      .orderBy('live_migration_id')
      .orderBy('kind')
      .execute();
    return rows.map(toFault);
  }

  async remove(liveMigrationId: string, kind?: LiveMigrationFault['kind']): Promise<number> {
    let query = this.db.deleteFrom('live_migration_faults').where('live_migration_id', '=', liveMigrationId);
    if (kind !== undefined) query = query.where('kind', '=', kind);
    const result = await query.executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async clear(): Promise<number> {
    const result = await this.db.deleteFrom('live_migration_faults').executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

function toRow(fault: LiveMigrationFault): LiveMigrationFaultRow {
  return {
    live_migration_id: fault.liveMigrationId,
    kind: fault.kind,
    phase: fault.phase ?? null,
    reason: fault.reason ?? null,
    lag_seconds: fault.lagSeconds ?? null,
    created_at: fault.createdAt,
  };
}

function toFault(row: LiveMigrationFaultRow): LiveMigrationFault {
  return {
    liveMigrationId: row.live_migration_id,
    kind: row.kind as LiveMigrationFault['kind'],
    ...(row.phase === null ? {} : { phase: row.phase as MigrationFaultPhase }),
    ...(row.reason === null ? {} : { reason: row.reason }),
    ...(row.lag_seconds === null ? {} : { lagSeconds: Number(row.lag_seconds) }),
    createdAt: row.created_at,
  };
}
