import type { Db } from '../../persistence/database.js';
import type { ApiKeyRow } from '../../persistence/schema.js';
import { isRole, type ApiKey } from './api-key.js';
import type { ApiKeyStore, StoredApiKey } from './api-key-store.js';

/** ApiKeyStore on Kysely: one implementation for SQLite and PostgreSQL. */
export class ApiKeyKyselyStore implements ApiKeyStore {
  constructor(private readonly db: Db) {}

  async create(apiKey: ApiKey, sealedDigestSecret: string): Promise<void> {
    await this.db
      .insertInto('api_keys')
      .values({
        id: apiKey.id,
        public_key: apiKey.publicKey,
        org_id: apiKey.orgId,
        description: apiKey.description,
        roles: JSON.stringify(apiKey.roles),
        digest_secret: sealedDigestSecret,
        created_at: apiKey.createdAt,
      })
      .execute();
    await this.setAccessList(apiKey.id, apiKey.accessList);
  }

  async findByPublicKey(publicKey: string): Promise<StoredApiKey | undefined> {
    const row = await this.db.selectFrom('api_keys').selectAll().where('public_key', '=', publicKey).executeTakeFirst();
    if (row === undefined) return undefined;
    return { apiKey: await this.toApiKey(row), sealedDigestSecret: row.digest_secret };
  }

  async get(id: string): Promise<ApiKey | undefined> {
    const row = await this.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
    return row && this.toApiKey(row);
  }

  async list(orgId: string | null): Promise<ApiKey[]> {
    const query = this.db.selectFrom('api_keys').selectAll().orderBy('id');
    const rows = await (orgId === null ? query.where('org_id', 'is', null) : query.where('org_id', '=', orgId)).execute();
    return Promise.all(rows.map((row) => this.toApiKey(row)));
  }

  async delete(id: string): Promise<boolean> {
    await this.db.deleteFrom('api_key_access_list').where('api_key_id', '=', id).execute();
    const result = await this.db.deleteFrom('api_keys').where('id', '=', id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async update(id: string, changes: Pick<ApiKey, 'description' | 'roles'>): Promise<boolean> {
    const result = await this.db
      .updateTable('api_keys')
      .set({ description: changes.description, roles: JSON.stringify(changes.roles) })
      .where('id', '=', id)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async setAccessList(id: string, entries: readonly string[]): Promise<void> {
    await this.db.deleteFrom('api_key_access_list').where('api_key_id', '=', id).execute();
    if (entries.length > 0) {
      await this.db
        .insertInto('api_key_access_list')
        .values([...new Set(entries)].map((cidr) => ({ api_key_id: id, cidr })))
        .execute();
    }
  }

  async sealedSecrets(): Promise<{ id: string; orgId: string | null; sealedDigestSecret: string }[]> {
    const rows = await this.db.selectFrom('api_keys').select(['id', 'org_id', 'digest_secret']).execute();
    return rows.map((row) => ({ id: row.id, orgId: row.org_id, sealedDigestSecret: row.digest_secret }));
  }

  async replaceSealedSecret(id: string, current: string, fresh: string): Promise<boolean> {
    const result = await this.db
      .updateTable('api_keys')
      .set({ digest_secret: fresh })
      .where('id', '=', id)
      .where('digest_secret', '=', current)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  private async toApiKey(row: ApiKeyRow): Promise<ApiKey> {
    const entries = await this.db
      .selectFrom('api_key_access_list')
      .select('cidr')
      .where('api_key_id', '=', row.id)
      .orderBy('cidr')
      .execute();
    const roles = (JSON.parse(row.roles) as unknown[]).filter((r): r is string => typeof r === 'string').filter(isRole);
    return {
      id: row.id,
      publicKey: row.public_key,
      orgId: row.org_id,
      description: row.description,
      roles,
      accessList: entries.map((e) => e.cidr),
      createdAt: row.created_at,
    };
  }
}
