import type { HostKey, LiveMigration, LiveMigrationFault, LiveMigrationValidation } from './live-migration.js';

/**
 * Storage of the target's live migrations. Absent records are `undefined` or an empty list, never an
 * error. Lists are oldest first (created_at, then id), the order the host is given its jobs in.
 */
export interface LiveMigrationStore {
  insert(migration: LiveMigration): Promise<void>;
  get(id: string): Promise<LiveMigration | undefined>;
  /** Writes every field that can change after creation (status, progress, timestamps, credentials). */
  save(migration: LiveMigration): Promise<void>;
  /** The organization's NEW and WORKING migrations. */
  active(orgId: string): Promise<LiveMigration[]>;
  /** Every organization's NEW and WORKING migrations (what /metrics shows). */
  allActive(): Promise<LiveMigration[]>;
  /** Active migrations that became ready before `readyBefore` and were not cut over: due to expire. */
  readyUncutBefore(readyBefore: string): Promise<LiveMigration[]>;
  /** The host's migrations that are active, or FAILED/EXPIRED with the host not yet told to stop. */
  forHost(host: HostKey): Promise<LiveMigration[]>;
  /** The migrations that still hold sealed credentials (key rotation re-seals them). */
  withCredentials(): Promise<LiveMigration[]>;
  /** The organization's latest `limit` migrations, newest first (what a page lists). */
  recent(orgId: string, limit: number): Promise<LiveMigration[]>;
}

export interface LiveMigrationValidationStore {
  insert(validation: LiveMigrationValidation): Promise<void>;
  get(id: string): Promise<LiveMigrationValidation | undefined>;
  save(validation: LiveMigrationValidation): Promise<void>;
  /** The host's PENDING validations. */
  pendingForHost(host: HostKey): Promise<LiveMigrationValidation[]>;
  /** The validations that still hold sealed credentials (key rotation re-seals them). */
  withCredentials(): Promise<LiveMigrationValidation[]>;
  /** The organization's latest `limit` validations, newest first (what a page lists). */
  recent(orgId: string, limit: number): Promise<LiveMigrationValidation[]>;
}

/** When each migration host last asked for its job: the host's heartbeat. */
export interface MigrationHostHeartbeatStore {
  /** Records that `host` was seen at `at` (an upsert: one row per host). */
  record(host: HostKey, at: string): Promise<void>;
  lastSeen(host: HostKey): Promise<string | undefined>;
}

/** The rehearsal faults on migrations: at most one of each kind a migration. */
export interface LiveMigrationFaultStore {
  /** Stores the fault, replacing the migration's fault of that kind. */
  put(fault: LiveMigrationFault): Promise<void>;
  /** The migration's faults, FAIL_AT_PHASE before HOLD_LAG. */
  forMigration(liveMigrationId: string): Promise<LiveMigrationFault[]>;
  /** Every fault, oldest first. */
  list(): Promise<LiveMigrationFault[]>;
  /** Removes the migration's faults (of one kind when given); how many were removed. */
  remove(liveMigrationId: string, kind?: LiveMigrationFault['kind']): Promise<number>;
  /** Removes every fault; how many were removed. */
  clear(): Promise<number>;
}
