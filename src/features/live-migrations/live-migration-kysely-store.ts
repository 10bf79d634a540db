import type { Db } from '../../persistence/database.js';
import type { LiveMigrationPlanColumns, LiveMigrationRow, LiveMigrationValidationRow } from '../../persistence/schema.js';
import {
  ACTIVE_STATUSES,
  type HostKey,
  type HostPhase,
  type LiveMigration,
  type LiveMigrationValidation,
  type MigrationPlan,
  type MigrationStatus,
  type ValidationStatus,
} from './live-migration.js';
import type { LiveMigrationStore, LiveMigrationValidationStore, MigrationHostHeartbeatStore } from './live-migration-store.js';

/** LiveMigrationStore on Kysely: one implementation for SQLite and PostgreSQL. */
export class LiveMigrationKyselyStore implements LiveMigrationStore {
  constructor(private readonly db: Db) {}

  async insert(migration: LiveMigration): Promise<void> {
    await this.db
      .insertInto('live_migrations')
      .values({ ...planColumns(migration.id, migration.plan, migration.createdAt), ...migrationColumns(migration) })
      .execute();
  }

  async get(id: string): Promise<LiveMigration | undefined> {
    const row = await this.db.selectFrom('live_migrations').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toMigration(row);
  }

  async save(migration: LiveMigration): Promise<void> {
    await this.db.updateTable('live_migrations').set(migrationColumns(migration)).where('id', '=', migration.id).execute();
  }

  active(orgId: string): Promise<LiveMigration[]> {
    return this.#active(orgId);
  }

  allActive(): Promise<LiveMigration[]> {
    return this.#active(undefined);
  }

  /** The active migrations of one organization, or of every one. */
  async #active(orgId: string | undefined): Promise<LiveMigration[]> {
    let query = this.db.selectFrom('live_migrations').selectAll().where('status', 'in', ACTIVE_STATUSES);
    if (orgId !== undefined) query = query.where('org_id', '=', orgId);
    const rows = await query.orderBy('created_at').orderBy('id').execute();
    return rows.map(toMigration);
  }

  async readyUncutBefore(readyBefore: string): Promise<LiveMigration[]> {
    const rows = await this.db
      .selectFrom('live_migrations')
      .selectAll()
      .where('status', 'in', ACTIVE_STATUSES)
      .where('ready_since', '<', readyBefore)
      .where('cutover_requested_at', 'is', null)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(toMigration);
  }

  async forHost(host: HostKey): Promise<LiveMigration[]> {
    const rows = await this.db
      .selectFrom('live_migrations')
      .selectAll()
      .where('org_id', '=', host.orgId)
      .where('source_org_id', '=', host.sourceOrgId)
      .where('source_group_id', '=', host.sourceGroupId)
      .where('migration_host', '=', host.hostname)
      .where((eb) =>
        eb.or([eb('status', 'in', ACTIVE_STATUSES), eb.and([eb('status', 'in', ['FAILED', 'EXPIRED']), eb('stop_acknowledged', '=', 0)])]),
      )
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(toMigration);
  }

  async withCredentials(): Promise<LiveMigration[]> {
    const rows = await this.db
      .selectFrom('live_migrations')
      .selectAll()
      .where('sealed_credentials', 'is not', null)
      .orderBy('id')
      .execute();
    return rows.map(toMigration);
  }

  async recent(orgId: string, limit: number): Promise<LiveMigration[]> {
    const rows = await this.db
      .selectFrom('live_migrations')
      .selectAll()
      .where('org_id', '=', orgId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toMigration);
  }
}

export class LiveMigrationValidationKyselyStore implements LiveMigrationValidationStore {
  constructor(private readonly db: Db) {}

  async insert(validation: LiveMigrationValidation): Promise<void> {
    await this.db
      .insertInto('live_migration_validations')
      .values({ ...planColumns(validation.id, validation.plan, validation.createdAt), ...validationColumns(validation) })
      .execute();
  }

  async get(id: string): Promise<LiveMigrationValidation | undefined> {
    const row = await this.db.selectFrom('live_migration_validations').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toValidation(row);
  }

  async save(validation: LiveMigrationValidation): Promise<void> {
    await this.db.updateTable('live_migration_validations').set(validationColumns(validation)).where('id', '=', validation.id).execute();
  }

  async pendingForHost(host: HostKey): Promise<LiveMigrationValidation[]> {
    const rows = await this.db
      .selectFrom('live_migration_validations')
      .selectAll()
      .where('org_id', '=', host.orgId)
      .where('source_org_id', '=', host.sourceOrgId)
      .where('source_group_id', '=', host.sourceGroupId)
      .where('migration_host', '=', host.hostname)
      .where('status', '=', 'PENDING')
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(toValidation);
  }

  async withCredentials(): Promise<LiveMigrationValidation[]> {
    const rows = await this.db
      .selectFrom('live_migration_validations')
      .selectAll()
      .where('sealed_credentials', 'is not', null)
      .orderBy('id')
      .execute();
    return rows.map(toValidation);
  }

  async recent(orgId: string, limit: number): Promise<LiveMigrationValidation[]> {
    const rows = await this.db
      .selectFrom('live_migration_validations')
      .selectAll()
      .where('org_id', '=', orgId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toValidation);
  }
}

export class MigrationHostHeartbeatKyselyStore implements MigrationHostHeartbeatStore {
  constructor(private readonly db: Db) {}

  async record(host: HostKey, at: string): Promise<void> {
    await this.db
      .insertInto('migration_host_heartbeats')
      .values({
        org_id: host.orgId,
        source_org_id: host.sourceOrgId,
        source_group_id: host.sourceGroupId,
        hostname: host.hostname,
        last_seen_at: at,
      })
      .onConflict((oc) => oc.columns(['org_id', 'source_org_id', 'source_group_id', 'hostname']).doUpdateSet({ last_seen_at: at }))
      .execute();
  }

  async lastSeen(host: HostKey): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('migration_host_heartbeats')
      .select('last_seen_at')
      .where('org_id', '=', host.orgId)
      .where('source_org_id', '=', host.sourceOrgId)
      .where('source_group_id', '=', host.sourceGroupId)
      .where('hostname', '=', host.hostname)
      .executeTakeFirst();
    return row?.last_seen_at;
  }
}

/** The columns of the plan, written once when the record is created. */
function planColumns(
  id: string,
  plan: MigrationPlan,
  createdAt: string,
): Omit<LiveMigrationPlanColumns, 'sealed_credentials' | 'status' | 'error_message'> {
  return {
    id,
    org_id: plan.orgId,
    group_id: plan.groupId,
    source_org_id: plan.sourceOrgId,
    source_group_id: plan.sourceGroupId,
    source_cluster_name: plan.sourceClusterName,
    destination_cluster_id: plan.destinationClusterId,
    destination_cluster_name: plan.destinationClusterName,
    migration_host: plan.migrationHost,
    drop_destination_data: plan.dropDestinationData ? 1 : 0,
    managed_authentication: plan.managedAuthentication ? 1 : 0,
    ssl: plan.ssl ? 1 : 0,
    ca_certificate_path: plan.caCertificatePath,
    created_at: createdAt,
  };
}

function validationColumns(validation: LiveMigrationValidation) {
  return {
    sealed_credentials: validation.sealedCredentials,
    status: validation.status,
    error_message: validation.errorMessage,
    finished_at: validation.finishedAt,
  };
}

function migrationColumns(migration: LiveMigration) {
  return {
    sealed_credentials: migration.sealedCredentials,
    status: migration.status,
    error_message: migration.errorMessage,
    phase: migration.phase,
    ready_for_cutover: migration.readyForCutover ? 1 : 0,
    ready_since: migration.readySince,
    lag_seconds: migration.lagSeconds,
    documents_copied: migration.documentsCopied,
    collections_copied: migration.collectionsCopied,
    collections_to_copy: migration.collectionsToCopy,
    changes_applied: migration.changesApplied,
    cutover_requested_at: migration.cutoverRequestedAt,
    ended_at: migration.endedAt,
    last_report_at: migration.lastReportAt,
    stop_acknowledged: migration.stopAcknowledged ? 1 : 0,
  };
}

function toPlan(row: LiveMigrationPlanColumns): MigrationPlan {
  return {
    orgId: row.org_id,
    groupId: row.group_id,
    sourceOrgId: row.source_org_id,
    sourceGroupId: row.source_group_id,
    sourceClusterName: row.source_cluster_name,
    destinationClusterId: row.destination_cluster_id,
    destinationClusterName: row.destination_cluster_name,
    migrationHost: row.migration_host,
    dropDestinationData: row.drop_destination_data === 1,
    managedAuthentication: row.managed_authentication === 1,
    ssl: row.ssl === 1,
    caCertificatePath: row.ca_certificate_path,
  };
}

function toValidation(row: LiveMigrationValidationRow): LiveMigrationValidation {
  return {
    id: row.id,
    plan: toPlan(row),
    sealedCredentials: row.sealed_credentials,
    status: row.status as ValidationStatus,
    errorMessage: row.error_message,
    createdAt: row.created_at,
    finishedAt: row.finished_at,
  };
}

function toMigration(row: LiveMigrationRow): LiveMigration {
  return {
    id: row.id,
    plan: toPlan(row),
    sealedCredentials: row.sealed_credentials,
    status: row.status as MigrationStatus,
    phase: row.phase as HostPhase | null,
    readyForCutover: row.ready_for_cutover === 1,
    readySince: row.ready_since,
    lagSeconds: row.lag_seconds === null ? null : Number(row.lag_seconds),
    documentsCopied: Number(row.documents_copied),
    collectionsCopied: Number(row.collections_copied),
    collectionsToCopy: Number(row.collections_to_copy),
    changesApplied: Number(row.changes_applied),
    errorMessage: row.error_message,
    cutoverRequestedAt: row.cutover_requested_at,
    endedAt: row.ended_at,
    lastReportAt: row.last_report_at,
    stopAcknowledged: row.stop_acknowledged === 1,
    createdAt: row.created_at,
  };
}
