import { apiErrors } from '../../http/api-error.js';
import { newObjectId } from '../../shared/ids.js';
import type { WriteTransaction } from '../../persistence/write-transaction.js';
import type { ApiKey } from '../api-keys/api-key.js';
import type { ApiKeyService, ApiKeyWrites } from '../api-keys/api-key-service.js';
import type { Organization } from '../organizations/organization.js';
import type { AvailableProject, SourceInventory } from './available-project.js';
import { encodeLinkToken } from './link-token-codec.js';
import type { LinkTokenStore } from './link-token-store.js';

/** What the link-token service uses in a write transaction: its own store, and the API keys' (a token is a key). */
export interface LinkTokenWrites extends ApiKeyWrites {
  linkTokens: LinkTokenStore;
  /**
   * The destination projects of the organization's active live migrations (of one source organization,
   * when given), read in the same transaction: a link is not removed under a running migration.
   */
  activeLiveMigrationProjects: (targetOrgId: string, sourceOrgId?: string) => Promise<string[]>;
}

/**
 * The target (Atlas) side of the link: issues link-tokens, each backed by an API key of the
 * organization whose only power is to push a source organization's inventory; receives those pushes;
 * lists what was pushed; revokes everything at once.
 */
export class LinkTokenService {
  constructor(
    private readonly store: LinkTokenStore,
    private readonly transaction: WriteTransaction<LinkTokenWrites>,
    private readonly apiKeys: Pick<ApiKeyService, 'createIn' | 'deleteIn'>,
    private readonly now: () => Date,
  ) {}

  /** Creates the key and the token record in one transaction; the token is returned once and never stored. */
  async createToken(organization: Organization, accessListIps: readonly string[]): Promise<string> {
    return this.transaction(async (writes) => {
      const { apiKey, privateKey } = await this.apiKeys.createIn(writes, {
        orgId: organization.id,
        description: 'Live migration link-token',
        roles: ['ORG_LIVE_MIGRATION_LINK'],
        accessList: accessListIps,
      });
      const tokenId = newObjectId(this.now());
      await writes.linkTokens.create({
        id: tokenId,
        orgId: organization.id,
        apiKeyId: apiKey.id,
        accessList: apiKey.accessList,
        createdAt: this.now().toISOString(),
      });
      await writes.audit.append({
        orgId: organization.id,
        eventType: 'LINK_TOKEN_ISSUED',
        details: { linkTokenId: tokenId, publicApiKey: apiKey.publicKey },
        createdAt: this.now().toISOString(),
      });
      return encodeLinkToken({
        orgId: organization.id,
        orgName: organization.name,
        privateApiKey: privateKey,
        publicApiKey: apiKey.publicKey,
      });
    });
  }

  /** Removes every link of the organization and the API keys behind them; the sources' next push fails. */
  async deleteTokens(organization: Organization): Promise<void> {
    const deleted = await this.transaction(async (writes) => {
      const tokens = await writes.linkTokens.list(organization.id);
      if (tokens.length === 0) return false;
      const migrating = await writes.activeLiveMigrationProjects(organization.id);
      if (migrating.length > 0) throw apiErrors.cannotDeleteOrgLinkWithActiveMigration(...migrating);
      await writes.linkTokens.deleteAll(organization.id);
      for (const token of tokens) {
        await this.apiKeys.deleteIn(writes, token.apiKeyId);
        await writes.audit.append({
          orgId: organization.id,
          eventType: 'LINK_TOKEN_REVOKED',
          details: { linkTokenId: token.id },
          createdAt: this.now().toISOString(),
        });
      }
      return true;
    });
    if (!deleted) throw apiErrors.externalOrgLinkNotFound();
  }

  availableProjects(organization: Organization): Promise<AvailableProject[]> {
    return this.store.availableProjects(organization.id);
  }

  /** Stores what a source pushed, replacing its previous push. `apiKey` is the link-token's key. */
  async receiveInventory(apiKey: ApiKey, organization: Organization, sourceOrgId: string, inventory: SourceInventory): Promise<string> {
    const pushedAt = this.now().toISOString();
    await this.transaction(async ({ linkTokens }) => {
      const token = await linkTokens.findByApiKey(organization.id, apiKey.id);
      // The key authenticated a moment ago; if its token was revoked since, answer as for a revoked key.
      if (token === undefined) throw apiErrors.userUnauthorized();
      await linkTokens.putInventory({
        targetOrgId: organization.id,
        sourceOrgId,
        linkTokenId: token.id,
        sourceOrgName: inventory.name,
        projects: inventory.projects,
        pushedAt,
      });
    });
    return pushedAt;
  }

  /** Forgets a source that disconnected, unless one of its deployments is being migrated (the source then keeps its link). */
  async forgetSource(organization: Organization, sourceOrgId: string): Promise<void> {
    await this.transaction(async ({ linkTokens, activeLiveMigrationProjects }) => {
      const migrating = await activeLiveMigrationProjects(organization.id, sourceOrgId);
      if (migrating.length > 0) throw apiErrors.cannotDeleteOrgLinkWithActiveMigration(...migrating);
      await linkTokens.forgetSource(organization.id, sourceOrgId);
    });
  }
}
