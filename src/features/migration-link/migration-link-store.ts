import type { MigrationLink } from './migration-link.js';

/** A link as stored: what the source shows, and what only the link service reads back. */
export interface StoredMigrationLink {
  link: MigrationLink;
  /** The link-token, sealed (crypto/secret-box.ts); only the service opens it, to push again. */
  sealedLinkToken: string;
  /** SHA-256 of the token, to tell "the same token again" from "another token" without opening it. */
  tokenDigest: string;
  /** The inventory version of the last push or attempt; -1 before the first. */
  syncedInventoryVersion: number;
}

/** What a finished push (or attempt) leaves on a link. */
export interface PushRecord {
  /** When it finished (ISO-8601). */
  at: string;
  /** Why it failed, in words for a person; null when the target accepted it. */
  error: string | null;
  /** The inventory version it carried. */
  pushedVersion: number;
  /**
   * Whether the link stays due: true when the inventory moved past `pushedVersion` while the push was
   * in flight, so that change is pushed too.
   */
  due: boolean;
}

/** A PENDING claim whose request is taken to have died (see MigrationLinkService.reconcileStaleClaims). */
export interface StaleClaim {
  orgId: string;
  targetOrgId: string;
  claimedAt: string;
}

/**
 * Storage of the source's links, one an organization. A link starts as a PENDING claim and becomes
 * LINKED when the target accepts the first push. Changes that name `claimedAt` or `tokenDigest` touch
 * the link only while it is still that claim or that token, so a request that lost a race changes
 * nothing. Absent links are `undefined`, never an error.
 */
export interface MigrationLinkStore {
  get(orgId: string): Promise<StoredMigrationLink | undefined>;
  /**
   * Only what the status answer needs, of each organization that has a link (the others are left out):
   * read for every status request, those of one turn together.
   */
  statusesOf(orgIds: readonly string[]): Promise<Map<string, Pick<MigrationLink, 'state' | 'status'>>>;

  /** Inserts a PENDING claim (`link.state` is PENDING); fails if the organization has a link. */
  insertClaim(claim: StoredMigrationLink): Promise<void>;
  /** Removes the PENDING claim made at `claimedAt`, if it is still there. */
  removeClaim(orgId: string, claimedAt: string): Promise<void>;
  /** Turns the claim made at `claimedAt` into a LINKED, SYNCED link after its first push. */
  confirmClaim(orgId: string, claimedAt: string, push: Omit<PushRecord, 'error'>): Promise<void>;
  /** Records a push of the LINKED link that holds `tokenDigest`: SYNCED, or NOT_SYNCED with the error. */
  recordPush(orgId: string, tokenDigest: string, push: PushRecord): Promise<void>;
  /** Removes the link that holds `tokenDigest`. */
  delete(orgId: string, tokenDigest: string): Promise<void>;

  /** Marks the organization's link (if any) due: its inventory changed since the last push. */
  markDue(orgId: string): Promise<void>;
  /**
   * The LINKED organizations to push: those marked due, then those not attempted since
   * `notAttemptedSince` (oldest attempt first), each once. Costs the due links, not all of them.
   */
  dueOrgIds(notAttemptedSince: string): Promise<string[]>;
  /** PENDING claims made before `claimedBefore`. */
  staleClaims(claimedBefore: string): Promise<StaleClaim[]>;

  /** Every link's sealed token, for re-sealing under a new key. */
  sealedTokens(): Promise<{ orgId: string; sealedLinkToken: string }[]>;
  /** Replaces the sealed token if it is still `current`; false when it changed meanwhile. */
  replaceSealedToken(orgId: string, current: string, fresh: string): Promise<boolean>;
}
