import type { Db } from '../../persistence/database.js';
import type { ClusterRow } from '../../persistence/schema.js';
import type { Cluster } from './cluster.js';
import type { ClusterStore, StoredCluster } from './cluster-store.js';

/** ClusterStore on Kysely: one implementation for every SQL dialect livelink runs on. */
export class ClusterKyselyStore implements ClusterStore {
  constructor(private readonly db: Db) {}

  async create(cluster: Cluster, sealedConnectionString: string): Promise<void> {
    await this.db
      .insertInto('clusters')
      .values({
        id: cluster.id,
        group_id: cluster.groupId,
        name: cluster.name,
        connection_string: sealedConnectionString,
        mongodb_version: cluster.mongoDBVersion,
        created_at: cluster.createdAt,
      })
      .execute();
  }

  async get(id: string): Promise<StoredCluster | undefined> {
    const row = await this.db.selectFrom('clusters').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toStoredCluster(row);
  }

  async findByName(groupId: string, name: string): Promise<StoredCluster | undefined> {
    const row = await this.db
      .selectFrom('clusters')
      .selectAll()
      .where('group_id', '=', groupId)
      .where('name', '=', name)
      .executeTakeFirst();
    return row && toStoredCluster(row);
  }

  async list(groupId: string): Promise<StoredCluster[]> {
    const rows = await this.db.selectFrom('clusters').selectAll().where('group_id', '=', groupId).orderBy('name').execute();
    return rows.map(toStoredCluster);
  }

  async delete(groupId: string, name: string): Promise<boolean> {
    const result = await this.db.deleteFrom('clusters').where('group_id', '=', groupId).where('name', '=', name).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async sealedConnectionStrings(): Promise<{ id: string; groupId: string; sealed: string }[]> {
    const rows = await this.db.selectFrom('clusters').select(['id', 'group_id', 'connection_string']).orderBy('id').execute();
    return rows.map((row) => ({ id: row.id, groupId: row.group_id, sealed: row.connection_string }));
  }

  async update(id: string, mongoDBVersion: string, sealedConnectionString: string): Promise<boolean> {
    const result = await this.db
      .updateTable('clusters')
      .set({ mongodb_version: mongoDBVersion, connection_string: sealedConnectionString })
      .where('id', '=', id)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async replaceSealedConnectionString(id: string, current: string, fresh: string): Promise<boolean> {
    const result = await this.db
      .updateTable('clusters')
      .set({ connection_string: fresh })
      .where('id', '=', id)
      .where('connection_string', '=', current)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
}

function toStoredCluster(row: ClusterRow): StoredCluster {
  return {
    cluster: { id: row.id, groupId: row.group_id, name: row.name, mongoDBVersion: row.mongodb_version, createdAt: row.created_at },
    sealedConnectionString: row.connection_string,
  };
}
