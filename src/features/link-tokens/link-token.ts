import type { AvailableProject } from './available-project.js';

/**
 * A link-token as the target keeps it. The token itself (with its private key) is shown once and never
 * stored: what remains is the API key behind it and the addresses that key may push from.
 */
export interface LinkToken {
  id: string;
  orgId: string;
  apiKeyId: string;
  accessList: string[];
  createdAt: string;
}

/** What one source organization last pushed to a target organization, under one of its link-tokens. */
export interface ReceivedInventory {
  targetOrgId: string;
  sourceOrgId: string;
  linkTokenId: string;
  sourceOrgName: string;
  projects: AvailableProject[];
  pushedAt: string;
}
