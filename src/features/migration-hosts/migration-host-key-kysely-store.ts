import type { Db } from '../../persistence/database.js';
import type { MigrationHostRow } from '../../persistence/schema.js';
import type { MigrationHostKey } from './migration-host-key.js';
import type { MigrationHostKeyStore } from './migration-host-key-store.js';

/** MigrationHostKeyStore on Kysely: one implementation for SQLite and PostgreSQL. */
export class MigrationHostKeyKyselyStore implements MigrationHostKeyStore {
  constructor(private readonly db: Db) {}

  async find(projectId: string, hostname: string): Promise<MigrationHostKey | undefined> {
    const row = await this.db
      .selectFrom('migration_hosts')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('hostname', '=', hostname)
      .executeTakeFirst();
    return row && toMigrationHostKey(row);
  }

  async findByApiKey(apiKeyId: string): Promise<MigrationHostKey | undefined> {
    const row = await this.db.selectFrom('migration_hosts').selectAll().where('api_key_id', '=', apiKeyId).executeTakeFirst();
    return row && toMigrationHostKey(row);
  }

  async bindKey(hostId: string, apiKeyId: string): Promise<boolean> {
    const result = await this.db
      .updateTable('migration_hosts')
      .set({ api_key_id: apiKeyId })
      .where('id', '=', hostId)
      .where('api_key_id', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
}

function toMigrationHostKey(row: MigrationHostRow): MigrationHostKey {
  return { hostId: row.id, projectId: row.project_id, hostname: row.hostname, apiKeyId: row.api_key_id };
}
