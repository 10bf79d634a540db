import type { Db } from '../../persistence/database.js';
import { readTables, replaceTables } from '../../persistence/database-snapshot.js';
import { latestMigrationName, type Dialect } from '../../persistence/migrations.js';
import type { Snapshot, SnapshotContent } from './snapshot.js';
import type { SnapshotStore } from './snapshot-store.js';

export class SnapshotKyselyStore implements SnapshotStore {
  constructor(
    private readonly db: Db,
    private readonly dialect: Dialect,
  ) {}

  async capture(): Promise<SnapshotContent> {
    const tables = await readTables(this.db);
    const rowCount = Object.values(tables).reduce((sum, rows) => sum + rows.length, 0);
    return { migration: latestMigrationName(), rowCount, tables };
  }

  async restore(content: SnapshotContent): Promise<void> {
    // The service restores only content taken with the current schema (its migration name says so).
    await replaceTables(this.db, this.dialect, content.tables);
  }

  async save(snapshot: Snapshot, content: SnapshotContent): Promise<boolean> {
    const existed = await this.db.deleteFrom('control_snapshots').where('name', '=', snapshot.name).executeTakeFirst();
    await this.db
      .insertInto('control_snapshots')
      .values({
        name: snapshot.name,
        created_at: snapshot.createdAt,
        row_count: snapshot.rowCount,
        tables: JSON.stringify({ migration: content.migration, tables: content.tables }),
      })
      .execute();
    return Number(existed.numDeletedRows) > 0;
  }

  async get(name: string): Promise<{ snapshot: Snapshot; content: SnapshotContent } | undefined> {
    const row = await this.db.selectFrom('control_snapshots').selectAll().where('name', '=', name).executeTakeFirst();
    if (row === undefined) return undefined;
    const stored = JSON.parse(row.tables) as { migration: string; tables: SnapshotContent['tables'] };
    const snapshot: Snapshot = { name: row.name, createdAt: row.created_at, rowCount: Number(row.row_count) };
    return { snapshot, content: { migration: stored.migration, rowCount: snapshot.rowCount, tables: stored.tables } };
  }

  async list(): Promise<Snapshot[]> {
    const rows = await this.db
      .selectFrom('control_snapshots')
      .select(['name', 'created_at', 'row_count'])
      .orderBy('created_at')
      .orderBy('name')
      .execute();
    return rows.map((row) => ({ name: row.name, createdAt: row.created_at, rowCount: Number(row.row_count) }));
  }

  async delete(name: string): Promise<boolean> {
    const result = await this.db.deleteFrom('control_snapshots').where('name', '=', name).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
