import { createHash } from 'node:crypto';
import type { CompiledQuery } from 'kysely';
import { sql, type RawBuilder, type Selectable } from 'kysely';
import { ApiError, apiErrors } from '../../http/api-error.js';
import type { SecretBox } from '../../crypto/secret-box.js';
import type { Db, OpenedDatabase } from '../../persistence/database.js';
import type { MigrationLinkRow as MigrationLinkColumns } from '../../persistence/schema.js';
import { recordAuditEvent } from '../audit/audit.js';
import { toAvailableProject, type SourceInventory } from '../link-tokens/available-project.js';
import { decodeLinkToken, LinkTokenFormatError, type LinkTokenContents } from '../link-tokens/link-token-codec.js';
import type { Organization } from '../organizations/organization.js';
import type { OrganizationService } from '../organizations/organization-service.js';
import type { LinkStatus, MigrationLink } from './migration-link.js';
import type { TargetClient, TargetOutcome } from './target-client.js';

/** A claim older than this is taken to belong to a request that died (a crash between claim and reply). */
export const STALE_CLAIM_MS = 60_000;

export interface SyncReport {
  orgId: string;
  status: LinkStatus;
  error: string | null;
}

/**
 * The source (Ops Manager) side of the link. The order of work makes a half-made link impossible:
 * claim the organization (a PENDING row, committed), call the target with no transaction open, then
 * either commit the link or remove the claim. A crash in between leaves a PENDING row that the next
 * POST for the organization takes over once it is stale.
 */
export class MigrationLinkService {
  readonly #syncing = new Set<string>();

  constructor(
    private readonly database: OpenedDatabase,
    private readonly organizations: OrganizationService,
    private readonly target: TargetClient,
    private readonly secretBox: SecretBox,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async connect(organization: Organization, linkToken: string): Promise<LinkStatus> {
    const contents = decode(linkToken);
    const token = linkToken.trim();
    const tokenDigest = digestOf(token);
    const existing = await this.#row(this.database.db, organization.id);
    if (existing?.state === 'LINKED') {
      if (existing.token_digest !== tokenDigest) {
        throw new ApiError(
          409,
          'ORG_LINK_ALREADY_EXISTS',
          `Organization ${organization.id} is already connected to an Atlas organization with another link-token. Remove the connection first.`,
          [organization.id],
        );
      }
      // The same token again: push now, as the UI's "Refresh" does.
      const { failure } = await this.#push(organization.id);
      if (failure !== undefined) throw failure;
      return 'SYNCED';
    }

    const claimedAt = this.now().toISOString();
    await this.#claim(organization.id, token, tokenDigest, contents, claimedAt);
    const inventory = await this.#inventoryOf(organization);
    const outcome = await this.target.pushInventory(contents, organization.id, inventory.body);
    if (outcome.kind === 'accepted') {
      await this.database.writeTransaction(async (tx) => {
        const now = this.now().toISOString();
        await tx
          .updateTable('migration_links')
          .set({
            state: 'LINKED',
            status: 'SYNCED',
            last_synced_at: now,
            last_attempt_at: now,
            last_error: null,
            synced_inventory_version: inventory.version,
            sync_due: dueUnlessPushed(inventory.version),
          })
          .where('org_id', '=', organization.id)
          .where('claimed_at', '=', claimedAt)
          .execute();
        await recordAuditEvent(tx, organization.id, 'ORG_LINK_CREATED', { targetOrgId: contents.orgId, publicApiKey: contents.publicApiKey }, this.now());
      });
      return 'SYNCED';
    }
    const failure = this.#failureOf(outcome);
    await this.database.writeTransaction(async (tx) => {
      await tx.deleteFrom('migration_links').where('org_id', '=', organization.id).where('state', '=', 'PENDING').where('claimed_at', '=', claimedAt).execute();
      await recordAuditEvent(tx, organization.id, 'ORG_LINK_FAILED', { targetOrgId: contents.orgId, reason: failure.errorCode }, this.now());
    });
    throw failure;
  }

  async status(orgId: string): Promise<LinkStatus> {
    // Read on every status request: compiled once, then run with the organization's id (Kysely otherwise
    // builds and compiles the same query on each call), and only the two columns the answer needs, since
    // turning a row into an object costs per column.
    this.#compiledStatus ??= this.database.db.selectFrom('migration_links').select(['state', 'status']).where('org_id', '=', '').compile();
    const { rows } = await this.database.db.executeQuery<Pick<MigrationLinkRow, 'state' | 'status'>>({ ...this.#compiledStatus, parameters: [orgId] });
    const row = rows[0];
    return row?.state === 'LINKED' ? (row.status as LinkStatus) : 'NOT_SYNCED';
  }

  #compiledStatus: CompiledQuery<Pick<MigrationLinkRow, 'state' | 'status'>> | undefined;

  async describe(orgId: string): Promise<MigrationLink | undefined> {
    const row = await this.#row(this.database.db, orgId);
    return row && toLink(row);
  }

  /** Removes the link and tells the target (best effort: a target that is gone must not keep a link alive). */
  async disconnect(organization: Organization): Promise<void> {
    const row = await this.#row(this.database.db, organization.id);
    if (row === undefined || row.state !== 'LINKED') {
      throw new ApiError(404, 'ORG_LINK_NOT_FOUND', `Organization ${organization.id} is not connected to an Atlas organization.`, [organization.id]);
    }
    const contents = this.#open(row);
    const told = await this.target.forgetSource(contents, organization.id);
    await this.database.writeTransaction(async (tx) => {
      await tx.deleteFrom('migration_links').where('org_id', '=', organization.id).where('token_digest', '=', row.token_digest).execute();
      await recordAuditEvent(tx, organization.id, 'ORG_LINK_DELETED', { targetOrgId: row.target_org_id, targetTold: told.kind === 'accepted' }, this.now());
    });
  }

  /** Pushes one linked organization's inventory now and records the outcome. */
  async sync(orgId: string): Promise<SyncReport> {
    return (await this.#push(orgId)).report;
  }

  async #push(orgId: string): Promise<{ report: SyncReport; failure: ApiError | undefined }> {
    const row = await this.#row(this.database.db, orgId);
    const organization = await this.organizations.getOrganization(orgId);
    if (row === undefined || row.state !== 'LINKED' || organization === undefined) {
      return { report: { orgId, status: 'NOT_SYNCED', error: 'not linked' }, failure: undefined };
    }
    const inventory = await this.#inventoryOf(organization);
    const outcome = await this.target.pushInventory(this.#open(row), orgId, inventory.body);
    const failure = outcome.kind === 'accepted' ? undefined : this.#failureOf(outcome);
    const now = this.now().toISOString();
    await this.database.writeTransaction((tx) =>
      tx
        .updateTable('migration_links')
        .set({
          status: failure === undefined ? 'SYNCED' : 'NOT_SYNCED',
          last_attempt_at: now,
          ...(failure === undefined ? { last_synced_at: now, last_error: null } : { last_error: failure.detail }),
          // The version pushed (or tried): a failing target is retried on the interval, not on every tick.
          synced_inventory_version: inventory.version,
          sync_due: dueUnlessPushed(inventory.version),
        })
        .where('org_id', '=', orgId)
        .where('token_digest', '=', row.token_digest)
        .where('state', '=', 'LINKED')
        .execute(),
    );
    return { report: { orgId, status: failure === undefined ? 'SYNCED' : 'NOT_SYNCED', error: failure?.detail ?? null }, failure };
  }

  /**
   * One pass of the sync loop: every linked organization whose inventory changed since its last push
   * (sync_due), or whose last push is older than the interval. An organization already being pushed
   * is skipped.
   */
  async syncDue(intervalMs: number): Promise<SyncReport[]> {
    await this.reconcileStaleClaims();
    const cutoff = new Date(this.now().getTime() - intervalMs).toISOString();
    // Two indexed reads instead of one OR that no index serves: a pass costs the due links, not all.
    const queries = dueLinkQueries(this.database.db, cutoff);
    const changed = await queries.changed.execute();
    const notAttemptedSince = await queries.notAttemptedSince.execute();
    const due = new Set([...changed, ...notAttemptedSince].map((row) => row.org_id));
    const reports: SyncReport[] = [];
    for (const orgId of due) {
      if (this.#syncing.has(orgId)) continue;
      this.#syncing.add(orgId);
      try {
        reports.push(await this.sync(orgId));
      } finally {
        this.#syncing.delete(orgId);
      }
    }
    return reports;
  }

  /** Re-seals every stored link-token sealed with an older key (see ApiKeyService.resealSecrets). */
  async resealSecrets(): Promise<number> {
    const rows = await this.database.db.selectFrom('migration_links').select(['org_id', 'link_token']).execute();
    let resealed = 0;
    for (const row of rows) {
      if (!this.secretBox.isStale(row.link_token)) continue;
      const fresh = this.secretBox.seal(this.secretBox.open(row.link_token, bindingOf(row.org_id)), bindingOf(row.org_id));
      await this.database.writeTransaction((tx) =>
        tx.updateTable('migration_links').set({ link_token: fresh }).where('org_id', '=', row.org_id).where('link_token', '=', row.link_token).execute(),
      );
      resealed += 1;
    }
    return resealed;
  }

  /**
   * Removes claims whose request died with its process (R-07): a PENDING row older than STALE_CLAIM_MS.
   * The link was never acknowledged, so removing it loses nothing; the failure is recorded.
   */
  async reconcileStaleClaims(): Promise<number> {
    const cutoff = new Date(this.now().getTime() - STALE_CLAIM_MS).toISOString();
    const any = await this.database.db.selectFrom('migration_links').select('org_id').where('state', '=', 'PENDING').where('claimed_at', '<', cutoff).executeTakeFirst();
    if (any === undefined) return 0;
    return this.database.writeTransaction(async (tx) => {
      const stale = await tx.selectFrom('migration_links').select(['org_id', 'target_org_id']).where('state', '=', 'PENDING').where('claimed_at', '<', cutoff).execute();
      for (const claim of stale) {
        await tx.deleteFrom('migration_links').where('org_id', '=', claim.org_id).where('state', '=', 'PENDING').where('claimed_at', '<', cutoff).execute();
        await recordAuditEvent(tx, claim.org_id, 'ORG_LINK_FAILED', { targetOrgId: claim.target_org_id, reason: 'ABANDONED_CLAIM' }, this.now());
      }
      return stale.length;
    });
  }

  async #claim(orgId: string, token: string, tokenDigest: string, contents: LinkTokenContents, claimedAt: string): Promise<void> {
    const claimed = await this.database.writeTransaction(async (tx) => {
      const current = await this.#row(tx, orgId);
      if (current !== undefined) {
        const stale = current.state === 'PENDING' && Date.parse(current.claimed_at) < this.now().getTime() - STALE_CLAIM_MS;
        if (!stale) return false;
        await tx.deleteFrom('migration_links').where('org_id', '=', orgId).where('claimed_at', '=', current.claimed_at).execute();
      }
      await tx
        .insertInto('migration_links')
        .values({
          org_id: orgId,
          state: 'PENDING',
          link_token: this.secretBox.seal(token, bindingOf(orgId)),
          token_digest: tokenDigest,
          target_org_id: contents.orgId,
          target_org_name: contents.orgName,
          status: 'NOT_SYNCED',
          created_at: claimedAt,
          claimed_at: claimedAt,
          last_synced_at: null,
          last_attempt_at: null,
          last_error: null,
          synced_inventory_version: -1,
        })
        .execute();
      return true;
    });
    if (!claimed) {
      throw new ApiError(409, 'ORG_LINK_IN_PROGRESS', `Organization ${orgId} is being connected by another request; try again in a moment.`, [orgId]);
    }
  }

  async #inventoryOf(organization: Organization): Promise<{ version: number; body: SourceInventory }> {
    const inventory = await this.organizations.inventory(organization.id);
    return { version: inventory.version, body: { name: organization.name, projects: inventory.projects.map(toAvailableProject) } };
  }

  #row(db: Db, orgId: string): Promise<MigrationLinkRow | undefined> {
    return db.selectFrom('migration_links').selectAll().where('org_id', '=', orgId).executeTakeFirst();
  }

  #open(row: MigrationLinkRow): LinkTokenContents {
    return decodeLinkToken(this.secretBox.open(row.link_token, bindingOf(row.org_id)));
  }

  #failureOf(outcome: Exclude<TargetOutcome, { kind: 'accepted' }>): ApiError {
    const where = this.target.baseUrl;
    switch (outcome.kind) {
      case 'refused': {
        const said = outcome.errorCode === undefined ? '' : ` It answered ${outcome.status} ${outcome.errorCode}${outcome.detail ? `: ${outcome.detail}` : ''}`;
        return new ApiError(
          400,
          'LINK_TOKEN_REJECTED',
          `The Atlas organization refused the link-token: its API key is unknown or revoked, or this server's address is not on the token's access list.${said}`,
        );
      }
      case 'unreachable':
        return new ApiError(503, 'TARGET_UNREACHABLE', `The Atlas API at ${where} could not be reached: ${outcome.detail}.`, [where]);
      case 'timeout':
        return new ApiError(504, 'TARGET_TIMEOUT', `The Atlas API at ${where} did not answer in time.`, [where]);
      case 'bad-response':
        return new ApiError(502, 'TARGET_BAD_RESPONSE', `The Atlas API at ${where} gave an unexpected answer (HTTP ${outcome.status}).`, [where]);
    }
  }
}

/**
 * The two reads of a sync pass, each served by an index of migration 0004-sync-due: the links whose
 * inventory changed since their last push, and those not attempted since `cutoff` (every LINKED row
 * has a last_attempt_at: the update that makes it LINKED sets it). Exported for the query-plan test.
 */
export function dueLinkQueries(db: Db, cutoff: string) {
  return {
    changed: db.selectFrom('migration_links').select('org_id').where('state', '=', 'LINKED').where('sync_due', '=', 1),
    notAttemptedSince: db
      .selectFrom('migration_links')
      .select('org_id')
      .where('state', '=', 'LINKED')
      .where('last_attempt_at', '<', cutoff)
      .orderBy('last_attempt_at'),
  };
}

/**
 * sync_due after pushing `pushedVersion`: cleared only if the inventory is still at that version. The
 * comparison runs in the finishing UPDATE, inside the write transaction, so a change committed while
 * the push was in flight (it set sync_due and bumped the version) keeps the link due and is pushed.
 */
function dueUnlessPushed(pushedVersion: number): RawBuilder<number> {
  return sql<number>`case when (select inventory_version from organizations where organizations.id = migration_links.org_id) = ${pushedVersion} then 0 else 1 end`;
}

/** A migration_links row as read (its generated columns resolved). */
type MigrationLinkRow = Selectable<MigrationLinkColumns>;

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

function toLink(row: MigrationLinkRow): MigrationLink {
  return {
    orgId: row.org_id,
    state: row.state === 'LINKED' ? 'LINKED' : 'PENDING',
    targetOrgId: row.target_org_id,
    targetOrgName: row.target_org_name,
    status: row.status === 'SYNCED' ? 'SYNCED' : 'NOT_SYNCED',
    createdAt: row.created_at,
    claimedAt: row.claimed_at,
    lastSyncedAt: row.last_synced_at,
    lastAttemptAt: row.last_attempt_at,
    lastError: row.last_error,
  };
}
