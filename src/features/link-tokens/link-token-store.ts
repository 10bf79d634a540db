import type { AvailableProject } from './available-project.js';
import type { LinkToken, ReceivedInventory } from './link-token.js';

/**
 * Storage of the target's link-tokens and of what linked sources pushed under them. Absent records
 * are `undefined` or an empty list, never an error.
 */
export interface LinkTokenStore {
  create(token: LinkToken): Promise<void>;
  /** The organization's tokens, oldest first. */
  list(orgId: string): Promise<LinkToken[]>;
  /** The organization's token whose key is `apiKeyId`. */
  findByApiKey(orgId: string, apiKeyId: string): Promise<LinkToken | undefined>;
  /** Removes the organization's tokens and every inventory pushed under them (not the API keys). */
  deleteAll(orgId: string): Promise<void>;

  /** Stores a source's push, replacing that source's previous one. */
  putInventory(inventory: ReceivedInventory): Promise<void>;
  /** Every project the organization's linked sources pushed, ordered by source organization. */
  availableProjects(targetOrgId: string): Promise<AvailableProject[]>;
  /** What each linked source last pushed to the organization, ordered by source organization. */
  linkedSources(targetOrgId: string): Promise<ReceivedInventory[]>;
  /** Forgets what one source pushed. */
  forgetSource(targetOrgId: string, sourceOrgId: string): Promise<void>;
}
