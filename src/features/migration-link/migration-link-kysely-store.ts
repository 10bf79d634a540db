import type { CompiledQuery, Selectable } from 'kysely';
import { LINK_STATUS_INDEX, readThrough } from '../../persistence/covering-index.js';
import type { Db } from '../../persistence/database.js';
import type { Dialect } from '../../persistence/migrations.js';
import type { MigrationLinkRow as MigrationLinkColumns } from '../../persistence/schema.js';
import type { LinkStatus, MigrationLink } from './migration-link.js';
import type { MigrationLinkStore, PushRecord, StaleClaim, StoredMigrationLink } from './migration-link-store.js';

/** A migration_links row as read (its generated columns resolved). */
type MigrationLinkRow = Selectable<MigrationLinkColumns>;

type StatusColumns = Pick<MigrationLinkRow, 'org_id' | 'state' | 'status'>;

/** MigrationLinkStore on Kysely: one implementation for SQLite and PostgreSQL. */
export class MigrationLinkKyselyStore implements MigrationLinkStore {
  /** The status read, compiled per number of organizations it reads. */
  readonly #compiledStatuses = new Map<number, CompiledQuery<StatusColumns>>();

  constructor(
    private readonly db: Db,
    private readonly dialect: Dialect,
  ) {}

  async get(orgId: string): Promise<StoredMigrationLink | undefined> {
    const row = await this.db.selectFrom('migration_links').selectAll().where('org_id', '=', orgId).executeTakeFirst();
    return (
      row && {
        link: toLink(row),
        sealedLinkToken: row.link_token,
        tokenDigest: row.token_digest,
        syncedInventoryVersion: row.synced_inventory_version,
      }
    );
  }

  async statusesOf(orgIds: readonly string[]): Promise<Map<string, Pick<MigrationLink, 'state' | 'status'>>> {
    // Read for every status request (a turn's requests together, persistence/batched-read.ts): compiled
    // once per number of ids, then run with the ids (Kysely otherwise builds and compiles the same query
    // on each call), and only the columns the answer needs, since turning a row into an object costs per
    // column. On SQLite an index holds those columns: one B-tree search a link, not two.
    let compiled = this.#compiledStatuses.get(orgIds.length);
    if (compiled === undefined) {
      compiled = readThrough(
        this.dialect,
        this.db
          .selectFrom('migration_links')
          .select(['org_id', 'state', 'status'])
          .where(
            'org_id',
            'in',
            orgIds.map(() => ''),
          )
          .compile(),
        'migration_links',
        LINK_STATUS_INDEX,
      );
      this.#compiledStatuses.set(orgIds.length, compiled);
    }
    const { rows } = await this.db.executeQuery<StatusColumns>({ ...compiled, parameters: orgIds });
    const statuses = new Map<string, Pick<MigrationLink, 'state' | 'status'>>();
    for (const row of rows) statuses.set(row.org_id, { state: stateOf(row.state), status: statusOf(row.status) });
    return statuses;
  }

  async insertClaim(claim: StoredMigrationLink): Promise<void> {
    const { link } = claim;
    await this.db
      .insertInto('migration_links')
      .values({
        org_id: link.orgId,
        state: link.state,
        link_token: claim.sealedLinkToken,
        token_digest: claim.tokenDigest,
        target_org_id: link.targetOrgId,
        target_org_name: link.targetOrgName,
        status: link.status,
        created_at: link.createdAt,
        claimed_at: link.claimedAt,
        last_synced_at: link.lastSyncedAt,
        last_attempt_at: link.lastAttemptAt,
        last_error: link.lastError,
        synced_inventory_version: claim.syncedInventoryVersion,
      })
      .execute();
  }

  async removeClaim(orgId: string, claimedAt: string): Promise<void> {
    await this.db
      .deleteFrom('migration_links')
      .where('org_id', '=', orgId)
      .where('state', '=', 'PENDING')
      .where('claimed_at', '=', claimedAt)
      .execute();
  }

  async confirmClaim(orgId: string, claimedAt: string, push: Omit<PushRecord, 'error'>): Promise<void> {
    await this.db
      .updateTable('migration_links')
      .set({
        state: 'LINKED',
        status: 'SYNCED',
        last_synced_at: push.at,
        last_attempt_at: push.at,
        last_error: null,
        synced_inventory_version: push.pushedVersion,
        sync_due: push.due ? 1 : 0,
      })
      .where('org_id', '=', orgId)
      .where('claimed_at', '=', claimedAt)
      .execute();
  }

  async recordPush(orgId: string, tokenDigest: string, push: PushRecord): Promise<void> {
    await this.db
      .updateTable('migration_links')
      .set({
        status: push.error === null ? 'SYNCED' : 'NOT_SYNCED',
        last_attempt_at: push.at,
        ...(push.error === null ? { last_synced_at: push.at, last_error: null } : { last_error: push.error }),
        synced_inventory_version: push.pushedVersion,
        sync_due: push.due ? 1 : 0,
      })
      .where('org_id', '=', orgId)
      .where('token_digest', '=', tokenDigest)
      .where('state', '=', 'LINKED')
      .execute();
  }

  async delete(orgId: string, tokenDigest: string): Promise<void> {
    await this.db.deleteFrom('migration_links').where('org_id', '=', orgId).where('token_digest', '=', tokenDigest).execute();
  }

  async markDue(orgId: string): Promise<void> {
    await this.db.updateTable('migration_links').set({ sync_due: 1 }).where('org_id', '=', orgId).where('sync_due', '=', 0).execute();
  }

  async dueOrgIds(notAttemptedSince: string): Promise<string[]> {
    // Two indexed reads instead of one OR that no index serves: a pass costs the due links, not all.
    const queries = dueLinkQueries(this.db, notAttemptedSince);
    const changed = await queries.changed.execute();
    const notAttempted = await queries.notAttemptedSince.execute();
    return [...new Set([...changed, ...notAttempted].map((row) => row.org_id))];
  }

  async staleClaims(claimedBefore: string): Promise<StaleClaim[]> {
    const rows = await this.db
      .selectFrom('migration_links')
      .select(['org_id', 'target_org_id', 'claimed_at'])
      .where('state', '=', 'PENDING')
      .where('claimed_at', '<', claimedBefore)
      .execute();
    return rows.map((row) => ({ orgId: row.org_id, targetOrgId: row.target_org_id, claimedAt: row.claimed_at }));
  }

  async sealedTokens(): Promise<{ orgId: string; sealedLinkToken: string }[]> {
    const rows = await this.db.selectFrom('migration_links').select(['org_id', 'link_token']).execute();
    return rows.map((row) => ({ orgId: row.org_id, sealedLinkToken: row.link_token }));
  }

  async replaceSealedToken(orgId: string, current: string, fresh: string): Promise<boolean> {
    const result = await this.db
      .updateTable('migration_links')
      .set({ link_token: fresh })
      .where('org_id', '=', orgId)
      .where('link_token', '=', current)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
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

function stateOf(state: string): MigrationLink['state'] {
  return state === 'LINKED' ? 'LINKED' : 'PENDING';
}

function statusOf(status: string): LinkStatus {
  return status === 'SYNCED' ? 'SYNCED' : 'NOT_SYNCED';
}

function toLink(row: MigrationLinkRow): MigrationLink {
  return {
    orgId: row.org_id,
    state: stateOf(row.state),
    targetOrgId: row.target_org_id,
    targetOrgName: row.target_org_name,
    status: statusOf(row.status),
    createdAt: row.created_at,
    claimedAt: row.claimed_at,
    lastSyncedAt: row.last_synced_at,
    lastAttemptAt: row.last_attempt_at,
    lastError: row.last_error,
  };
}
