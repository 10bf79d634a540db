/** The source side's record of its link to a target organization. */
export type LinkStatus = 'SYNCED' | 'NOT_SYNCED';

export interface MigrationLink {
  orgId: string;
  /** PENDING: claimed by a POST whose first push is in flight. LINKED: the target accepted it. */
  state: 'PENDING' | 'LINKED';
  targetOrgId: string;
  targetOrgName: string;
  status: LinkStatus;
  createdAt: string;
  claimedAt: string;
  lastSyncedAt: string | null;
  lastAttemptAt: string | null;
  /** Why the last push failed, in words for a person; null after a successful one. */
  lastError: string | null;
}
