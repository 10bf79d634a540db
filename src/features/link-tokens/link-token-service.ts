import { ApiError, apiErrors } from '../../http/api-error.js';
import type { OpenedDatabase } from '../../persistence/database.js';
import { newObjectId } from '../../persistence/ids.js';
import type { ApiKey } from '../api-keys/api-key.js';
import type { ApiKeyService } from '../api-keys/api-key-service.js';
import { recordAuditEvent } from '../audit/audit.js';
import type { Organization } from '../organizations/organization.js';
import type { AvailableProject, SourceInventory } from './available-project.js';
import { encodeLinkToken } from './link-token-codec.js';

/**
 * The target (Atlas) side of the link: issues link-tokens, each backed by an API key of the
 * organization whose only power is to push a source organization's inventory; receives those pushes;
 * lists what was pushed; revokes everything at once.
 */
export class LinkTokenService {
  constructor(
    private readonly database: OpenedDatabase,
    private readonly apiKeys: ApiKeyService,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Creates the key and the token record in one transaction; the token is returned once and never stored. */
  async createToken(organization: Organization, accessListIps: readonly string[]): Promise<string> {
    return this.database.writeTransaction(async (tx) => {
      const { apiKey, privateKey } = await this.apiKeys.createIn(tx, {
        orgId: organization.id,
        description: 'Live migration link-token',
        roles: ['ORG_LIVE_MIGRATION_LINK'],
        accessList: accessListIps,
      });
      const tokenId = newObjectId(this.now());
      await tx
        .insertInto('link_tokens')
        .values({
          id: tokenId,
          org_id: organization.id,
          api_key_id: apiKey.id,
          access_list: JSON.stringify(apiKey.accessList),
          created_at: this.now().toISOString(),
        })
        .execute();
      await recordAuditEvent(tx, organization.id, 'LINK_TOKEN_ISSUED', { linkTokenId: tokenId, publicApiKey: apiKey.publicKey }, this.now());
      return encodeLinkToken({ orgId: organization.id, orgName: organization.name, privateApiKey: privateKey, publicApiKey: apiKey.publicKey });
    });
  }

  /** Removes every link of the organization and the API keys behind them; the sources' next push fails. */
  async deleteTokens(organization: Organization): Promise<void> {
    const deleted = await this.database.writeTransaction(async (tx) => {
      const tokens = await tx.selectFrom('link_tokens').select(['id', 'api_key_id']).where('org_id', '=', organization.id).execute();
      if (tokens.length === 0) return false;
      await tx.deleteFrom('linked_sources').where('target_org_id', '=', organization.id).execute();
      await tx.deleteFrom('link_tokens').where('org_id', '=', organization.id).execute();
      for (const token of tokens) {
        await this.apiKeys.deleteIn(tx, token.api_key_id);
        await recordAuditEvent(tx, organization.id, 'LINK_TOKEN_REVOKED', { linkTokenId: token.id }, this.now());
      }
      return true;
    });
    // Atlas answers exactly this when there is no link to delete (recorded traffic, 2026).
    if (!deleted) throw new ApiError(404, 'UNEXPECTED_ERROR', 'Could not find the requested external organization link.');
  }

  async availableProjects(organization: Organization): Promise<AvailableProject[]> {
    const rows = await this.database.db
      .selectFrom('linked_sources')
      .select(['projects'])
      .where('target_org_id', '=', organization.id)
      .orderBy('source_org_id')
      .execute();
    return rows.flatMap((row) => JSON.parse(row.projects) as AvailableProject[]);
  }

  /** Stores what a source pushed, replacing its previous push. `apiKey` is the link-token's key. */
  async receiveInventory(apiKey: ApiKey, organization: Organization, sourceOrgId: string, inventory: SourceInventory): Promise<string> {
    const pushedAt = this.now().toISOString();
    await this.database.writeTransaction(async (tx) => {
      const token = await tx.selectFrom('link_tokens').select('id').where('api_key_id', '=', apiKey.id).where('org_id', '=', organization.id).executeTakeFirst();
      // The key authenticated a moment ago; if its token was revoked since, answer as for a revoked key.
      if (token === undefined) throw apiErrors.userUnauthorized();
      const values = {
        target_org_id: organization.id,
        source_org_id: sourceOrgId,
        link_token_id: token.id,
        source_org_name: inventory.name,
        projects: JSON.stringify(inventory.projects),
        pushed_at: pushedAt,
      };
      await tx
        .insertInto('linked_sources')
        .values(values)
        .onConflict((oc) => oc.columns(['target_org_id', 'source_org_id']).doUpdateSet({ ...values }))
        .execute();
    });
    return pushedAt;
  }

  async forgetSource(organization: Organization, sourceOrgId: string): Promise<void> {
    await this.database.writeTransaction((tx) =>
      tx.deleteFrom('linked_sources').where('target_org_id', '=', organization.id).where('source_org_id', '=', sourceOrgId).execute(),
    );
  }
}
