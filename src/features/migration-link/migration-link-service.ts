import { createHash } from 'node:crypto';
import { apiErrors, type ApiError } from '../../http/api-error.js';
import type { SecretBox } from '../../crypto/secret-box.js';
import { BatchedRead } from '../../persistence/batched-read.js';
import type { WriteTransaction } from '../../persistence/write-transaction.js';
import type { AuditStore } from '../audit/audit-store.js';
import { toAvailableProject, type SourceInventory } from '../link-tokens/available-project.js';
import { decodeLinkToken, LinkTokenFormatError, type LinkTokenContents } from '../link-tokens/link-token-codec.js';
import type { Organization } from '../organizations/organization.js';
import type { OrganizationService } from '../organizations/organization-service.js';
import type { OrganizationStore } from '../organizations/organization-store.js';
import type { LinkStatus, MigrationLink } from './migration-link.js';
import type { MigrationLinkStore, StoredMigrationLink } from './migration-link-store.js';
import type { TargetClient, TargetOutcome } from './target-client.js';

/** What the target answers a disconnect while a live migration of the organization runs. */
const ACTIVE_MIGRATION_CODE = 'CANNOT_DELETE_ORG_ACTIVE_LIVE_MIGRATION_ATLAS_ORG_LINK';

/** A claim older than this is taken to belong to a request that died (a crash between claim and reply). */
export const STALE_CLAIM_MS = 60_000;

export interface SyncReport {
  orgId: string;
  status: LinkStatus;
  error: string | null;
}

/** What the link service uses in a write transaction. */
export interface MigrationLinkWrites {
  links: MigrationLinkStore;
  /** Read only: the inventory version a finishing push compares with the one it carried. */
  organizations: Pick<OrganizationStore, 'inventoryVersion'>;
  audit: AuditStore;
}

/**
 * The source (Ops Manager) side of the link. The order of work makes a half-made link impossible:
 * claim the organization (a PENDING row, committed), call the target with no transaction open, then
 * either commit the link or remove the claim. A crash in between leaves a PENDING row that the next
 * POST for the organization takes over once it is stale.
 */
export class MigrationLinkService {
  /**
   * The calls to the target in flight, by organization: the tail of each organization's chain. A push
   * starts only after the organization's previous call finished, so it reads the inventory after that
   * call's push and the target, which keeps the last push it received, cannot be left with an older
   * one (a "Refresh" racing the sync loop); a disconnect waits too, so no push lands after it.
   */
  readonly #calls = new Map<string, Promise<unknown>>();
  /** The status requests of one turn read their links in one statement (a read begun after each asked). */
  readonly #statusReads = new BatchedRead((orgIds) => this.links.statusesOf(orgIds));

  constructor(
    private readonly links: MigrationLinkStore,
    private readonly transaction: WriteTransaction<MigrationLinkWrites>,
    private readonly organizations: Pick<OrganizationService, 'getOrganization' | 'inventory'>,
    private readonly target: TargetClient,
    private readonly secretBox: SecretBox,
    private readonly now: () => Date,
    /**
     * Real time, for the claims: a claim's age tells a request that died from one still waiting for the
     * target, and moving the rehearsal clock must not make a live request's claim look abandoned.
     */
    private readonly realNow: () => Date,
  ) {}

  async connect(organization: Organization, linkToken: string): Promise<LinkStatus> {
    const contents = decode(linkToken);
    const token = linkToken.trim();
    const tokenDigest = digestOf(token);
    const existing = await this.links.get(organization.id);
    if (existing?.link.state === 'LINKED') {
      if (existing.tokenDigest !== tokenDigest) throw apiErrors.orgLinkAlreadyExists(organization.id);
      // The same token again: push now, as the UI's "Refresh" does.
      const { failure } = await this.#push(organization.id, 'link');
      if (failure !== undefined) throw failure;
      return 'SYNCED';
    }

    const claimedAt = this.realNow().toISOString();
    await this.#claim(organization.id, token, tokenDigest, contents, claimedAt);
    const inventory = await this.#inventoryOf(organization);
    const outcome = await this.target.pushInventory(contents, organization.id, inventory.body, 'link');
    if (outcome.kind === 'accepted') {
      await this.transaction(async ({ links, organizations, audit }) => {
        const at = this.now().toISOString();
        const due = await changedSince(organizations, organization.id, inventory.version);
        await links.confirmClaim(organization.id, claimedAt, { at, pushedVersion: inventory.version, due });
        await audit.append({
          orgId: organization.id,
          eventType: 'ORG_LINK_CREATED',
          details: { targetOrgId: contents.orgId, publicApiKey: contents.publicApiKey },
          createdAt: this.now().toISOString(),
        });
      });
      return 'SYNCED';
    }
    const failure = this.#failureOf(outcome);
    await this.transaction(async ({ links, audit }) => {
      await links.removeClaim(organization.id, claimedAt);
      await audit.append({
        orgId: organization.id,
        eventType: 'ORG_LINK_FAILED',
        details: { targetOrgId: contents.orgId, reason: failure.errorCode },
        createdAt: this.now().toISOString(),
      });
    });
    throw failure;
  }

  async status(orgId: string): Promise<LinkStatus> {
    const link = await this.#statusReads.get(orgId);
    return link?.state === 'LINKED' ? link.status : 'NOT_SYNCED';
  }

  async describe(orgId: string): Promise<MigrationLink | undefined> {
    return (await this.links.get(orgId))?.link;
  }

  /**
   * The link-token of the organization's link, opened, when it is LINKED: what the migration hosts' job
   * relay calls the target with (migration-hosts/migration-job-relay.ts). Never leaves the source.
   */
  async linkedTarget(orgId: string): Promise<LinkTokenContents | undefined> {
    const stored = await this.links.get(orgId);
    return stored?.link.state === 'LINKED' ? this.#open(stored) : undefined;
  }

  /** Removes the link and tells the target (best effort: a target that is gone must not keep a link alive). */
  disconnect(organization: Organization): Promise<void> {
    return this.#inTurn(organization.id, () => this.#disconnect(organization));
  }

  async #disconnect(organization: Organization): Promise<void> {
    const stored = await this.links.get(organization.id);
    if (stored === undefined || stored.link.state !== 'LINKED') throw apiErrors.orgLinkNotFound(organization.id);
    const told = await this.target.forgetSource(this.#open(stored), organization.id);
    // The target refuses while one of the organization's deployments is being migrated: the link stays,
    // and the caller gets the target's answer (its project ids are in its detail).
    if (told.kind === 'refused' && told.status === 409 && told.errorCode === ACTIVE_MIGRATION_CODE) {
      throw apiErrors.cannotDeleteOrgLinkWithActiveMigration(...(told.detail?.match(/[a-f0-9]{24}/g) ?? []));
    }
    await this.transaction(async ({ links, audit }) => {
      await links.delete(organization.id, stored.tokenDigest);
      await audit.append({
        orgId: organization.id,
        eventType: 'ORG_LINK_DELETED',
        details: { targetOrgId: stored.link.targetOrgId, targetTold: told.kind === 'accepted' },
        createdAt: this.now().toISOString(),
      });
    });
  }

  /** Pushes one linked organization's inventory now and records the outcome. */
  async sync(orgId: string): Promise<SyncReport> {
    return (await this.#push(orgId)).report;
  }

  #push(orgId: string, call: 'link' | 'inventory' = 'inventory'): Promise<{ report: SyncReport; failure: ApiError | undefined }> {
    return this.#inTurn(orgId, () => this.#pushNow(orgId, call));
  }

  /** Runs `work` once the organization's earlier calls to the target have finished (see #calls). */
  async #inTurn<T>(orgId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#calls.get(orgId);
    const mine = previous === undefined ? work() : previous.then(work, work);
    const tail = mine.catch(() => undefined);
    this.#calls.set(orgId, tail);
    try {
      return await mine;
    } finally {
      if (this.#calls.get(orgId) === tail) this.#calls.delete(orgId);
    }
  }

  async #pushNow(orgId: string, call: 'link' | 'inventory'): Promise<{ report: SyncReport; failure: ApiError | undefined }> {
    const stored = await this.links.get(orgId);
    const organization = await this.organizations.getOrganization(orgId);
    if (stored === undefined || stored.link.state !== 'LINKED' || organization === undefined) {
      return { report: { orgId, status: 'NOT_SYNCED', error: 'not linked' }, failure: undefined };
    }
    const inventory = await this.#inventoryOf(organization);
    const outcome = await this.target.pushInventory(this.#open(stored), orgId, inventory.body, call);
    const failure = outcome.kind === 'accepted' ? undefined : this.#failureOf(outcome);
    const at = this.now().toISOString();
    await this.transaction(async ({ links, organizations }) => {
      const due = await changedSince(organizations, orgId, inventory.version);
      // The version pushed (or tried): a failing target is retried on the interval, not on every tick.
      await links.recordPush(orgId, stored.tokenDigest, { at, error: failure?.detail ?? null, pushedVersion: inventory.version, due });
    });
    return { report: { orgId, status: failure === undefined ? 'SYNCED' : 'NOT_SYNCED', error: failure?.detail ?? null }, failure };
  }

  /**
   * One pass of the sync loop: every linked organization whose inventory changed since its last push
   * (sync_due), or whose last push is older than the interval. An organization already being pushed
   * (by an earlier pass or a Refresh) is skipped: that push, or the next pass, carries its changes.
   */
  async syncDue(intervalMs: number): Promise<SyncReport[]> {
    await this.reconcileStaleClaims();
    const cutoff = new Date(this.now().getTime() - intervalMs).toISOString();
    const reports: SyncReport[] = [];
    for (const orgId of await this.links.dueOrgIds(cutoff)) {
      if (this.#calls.has(orgId)) continue;
      reports.push(await this.sync(orgId));
    }
    return reports;
  }

  /** Re-seals every stored link-token sealed with an older key (see ApiKeyService.resealSecrets). */
  async resealSecrets(): Promise<number> {
    let resealed = 0;
    for (const { orgId, sealedLinkToken } of await this.links.sealedTokens()) {
      if (!this.secretBox.isStale(sealedLinkToken)) continue;
      const fresh = this.secretBox.seal(this.secretBox.open(sealedLinkToken, bindingOf(orgId)), bindingOf(orgId));
      await this.transaction(({ links }) => links.replaceSealedToken(orgId, sealedLinkToken, fresh));
      resealed += 1;
    }
    return resealed;
  }

  /**
   * Removes claims whose request died with its process: a PENDING row older than STALE_CLAIM_MS.
   * The link was never acknowledged, so removing it loses nothing; the failure is recorded.
   */
  async reconcileStaleClaims(): Promise<number> {
    const cutoff = new Date(this.realNow().getTime() - STALE_CLAIM_MS).toISOString();
    // Looked for outside a transaction first: every sync pass asks, and nearly always there is none.
    if ((await this.links.staleClaims(cutoff)).length === 0) return 0;
    return this.transaction(async ({ links, audit }) => {
      const stale = await links.staleClaims(cutoff);
      for (const claim of stale) {
        await links.removeClaim(claim.orgId, claim.claimedAt);
        await audit.append({
          orgId: claim.orgId,
          eventType: 'ORG_LINK_FAILED',
          details: { targetOrgId: claim.targetOrgId, reason: 'ABANDONED_CLAIM' },
          createdAt: this.now().toISOString(),
        });
      }
      return stale.length;
    });
  }

  async #claim(orgId: string, token: string, tokenDigest: string, contents: LinkTokenContents, claimedAt: string): Promise<void> {
    const claimed = await this.transaction(async ({ links }) => {
      const current = await links.get(orgId);
      if (current !== undefined) {
        const stale = current.link.state === 'PENDING' && Date.parse(current.link.claimedAt) < this.realNow().getTime() - STALE_CLAIM_MS;
        if (!stale) return false;
        await links.removeClaim(orgId, current.link.claimedAt);
      }
      await links.insertClaim({
        link: {
          orgId,
          state: 'PENDING',
          targetOrgId: contents.orgId,
          targetOrgName: contents.orgName,
          status: 'NOT_SYNCED',
          // The link's own date is on the rehearsal clock like every other; only the claim's is real time.
          createdAt: this.now().toISOString(),
          claimedAt,
          lastSyncedAt: null,
          lastAttemptAt: null,
          lastError: null,
        },
        sealedLinkToken: this.secretBox.seal(token, bindingOf(orgId)),
        tokenDigest,
        syncedInventoryVersion: -1,
      });
      return true;
    });
    if (!claimed) throw apiErrors.orgLinkInProgress(orgId);
  }

  async #inventoryOf(organization: Organization): Promise<{ version: number; body: SourceInventory }> {
    const inventory = await this.organizations.inventory(organization.id);
    return { version: inventory.version, body: { name: organization.name, projects: inventory.projects.map(toAvailableProject) } };
  }

  #open(stored: StoredMigrationLink): LinkTokenContents {
    return decodeLinkToken(this.secretBox.open(stored.sealedLinkToken, bindingOf(stored.link.orgId)));
  }

  #failureOf(outcome: Exclude<TargetOutcome, { kind: 'accepted' }>): ApiError {
    const where = this.target.baseUrl;
    switch (outcome.kind) {
      case 'refused':
        return apiErrors.linkTokenRejected(outcome.status, outcome.errorCode, outcome.detail);
      case 'unreachable':
        return apiErrors.targetUnreachable(where, outcome.detail);
      case 'timeout':
        return apiErrors.targetTimeout(where);
      case 'bad-response':
        return apiErrors.targetBadResponse(where, outcome.status);
    }
  }
}

/**
 * Whether the organization's inventory moved past `pushedVersion`: a change committed while the push
 * was in flight keeps the link due, so it is pushed too. Asked inside the write transaction that records
 * the push; write transactions never interleave, and every inventory change is one, so no change can
 * commit between this read and that record.
 */
async function changedSince(organizations: MigrationLinkWrites['organizations'], orgId: string, pushedVersion: number): Promise<boolean> {
  return (await organizations.inventoryVersion(orgId)) !== pushedVersion;
}

function decode(linkToken: string): LinkTokenContents {
  try {
    return decodeLinkToken(linkToken);
  } catch (error) {
    if (error instanceof LinkTokenFormatError) throw apiErrors.invalidAttribute('linkToken', error.message);
    throw error;
  }
}

function digestOf(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function bindingOf(orgId: string): string {
  return `migration_links|${orgId}|${orgId}`;
}
