import type { Db } from '../../persistence/database.js';
import type { LinkTokenRow } from '../../persistence/schema.js';
import type { AvailableProject } from './available-project.js';
import type { LinkToken, ReceivedInventory } from './link-token.js';
import type { LinkTokenStore } from './link-token-store.js';

/** LinkTokenStore on Kysely: one implementation for SQLite and PostgreSQL. */
export class LinkTokenKyselyStore implements LinkTokenStore {
  constructor(private readonly db: Db) {}

  async create(token: LinkToken): Promise<void> {
    await this.db
      .insertInto('link_tokens')
      .values({
        id: token.id,
        org_id: token.orgId,
        api_key_id: token.apiKeyId,
        access_list: JSON.stringify(token.accessList),
        created_at: token.createdAt,
      })
      .execute();
  }

  async list(orgId: string): Promise<LinkToken[]> {
    const rows = await this.db.selectFrom('link_tokens').selectAll().where('org_id', '=', orgId).orderBy('id').execute();
    return rows.map(toLinkToken);
  }

  async findByApiKey(orgId: string, apiKeyId: string): Promise<LinkToken | undefined> {
    const row = await this.db
      .selectFrom('link_tokens')
      .selectAll()
      .where('api_key_id', '=', apiKeyId)
      .where('org_id', '=', orgId)
      .executeTakeFirst();
    return row && toLinkToken(row);
  }

  async deleteAll(orgId: string): Promise<void> {
    await this.db.deleteFrom('linked_sources').where('target_org_id', '=', orgId).execute();
    await this.db.deleteFrom('link_tokens').where('org_id', '=', orgId).execute();
  }

  async putInventory(inventory: ReceivedInventory): Promise<void> {
    const values = {
      target_org_id: inventory.targetOrgId,
      source_org_id: inventory.sourceOrgId,
      link_token_id: inventory.linkTokenId,
      source_org_name: inventory.sourceOrgName,
      projects: JSON.stringify(inventory.projects),
      pushed_at: inventory.pushedAt,
    };
    await this.db
      .insertInto('linked_sources')
      .values(values)
      .onConflict((oc) => oc.columns(['target_org_id', 'source_org_id']).doUpdateSet({ ...values }))
      .execute();
  }

  async availableProjects(targetOrgId: string): Promise<AvailableProject[]> {
    const rows = await this.db
      .selectFrom('linked_sources')
      .select(['projects'])
      .where('target_org_id', '=', targetOrgId)
      .orderBy('source_org_id')
      .execute();
    return rows.flatMap((row) => JSON.parse(row.projects) as AvailableProject[]);
  }

  async linkedSources(targetOrgId: string): Promise<ReceivedInventory[]> {
    const rows = await this.db
      .selectFrom('linked_sources')
      .selectAll()
      .where('target_org_id', '=', targetOrgId)
      .orderBy('source_org_id')
      .execute();
    return rows.map((row) => ({
      targetOrgId: row.target_org_id,
      sourceOrgId: row.source_org_id,
      linkTokenId: row.link_token_id,
      sourceOrgName: row.source_org_name,
      projects: JSON.parse(row.projects) as AvailableProject[],
      pushedAt: row.pushed_at,
    }));
  }

  async forgetSource(targetOrgId: string, sourceOrgId: string): Promise<void> {
    await this.db.deleteFrom('linked_sources').where('target_org_id', '=', targetOrgId).where('source_org_id', '=', sourceOrgId).execute();
  }
}

function toLinkToken(row: LinkTokenRow): LinkToken {
  return {
    id: row.id,
    orgId: row.org_id,
    apiKeyId: row.api_key_id,
    accessList: (JSON.parse(row.access_list) as unknown[]).filter((entry): entry is string => typeof entry === 'string'),
    createdAt: row.created_at,
  };
}
