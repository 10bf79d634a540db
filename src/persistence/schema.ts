import type { Generated } from 'kysely';

/**
 * The tables, as Kysely sees them. Rows are persistence types: stores map them to domain types and
 * nothing outside a store touches them. Times are ISO-8601 UTC strings (portable across SQLite and
 * PostgreSQL, and sortable as text); booleans are 0/1 integers for the same reason.
 */
export interface Database {
  organizations: OrganizationRow;
  projects: ProjectRow;
  deployments: DeploymentRow;
  migration_hosts: MigrationHostRow;
  api_keys: ApiKeyRow;
  api_key_access_list: ApiKeyAccessListRow;
  migration_links: MigrationLinkRow;
  link_tokens: LinkTokenRow;
  linked_sources: LinkedSourceRow;
  audit_events: AuditEventRow;
  digest_nonce_claims: DigestNonceClaimRow;
  leases: LeaseRow;
  auth_failures: AuthFailureRow;
  users: UserRow;
  web_sessions: WebSessionRow;
  clusters: ClusterRow;
  live_migration_validations: LiveMigrationValidationRow;
  live_migrations: LiveMigrationRow;
  migration_host_heartbeats: MigrationHostHeartbeatRow;
  control_target_call_faults: ControlTargetCallFaultRow;
  control_snapshots: ControlSnapshotRow;
  control_clock: ControlClockRow;
  live_migration_faults: LiveMigrationFaultRow;
}

export interface OrganizationRow {
  id: string;
  name: string;
  require_access_list: number;
  /** Bumped in the same transaction as any change to the organization's inventory; the sync loop compares it. */
  inventory_version: number;
  created_at: string;
}

export interface ProjectRow {
  id: string;
  org_id: string;
  name: string;
  created_at: string;
}

export interface DeploymentRow {
  id: string;
  project_id: string;
  name: string;
  mongodb_version: string;
  feature_compatibility_version: string;
  managed: number;
  sharded: number;
  shards_size: number | null;
  tls_enabled: number;
  agent_version: string | null;
  db_size_bytes: number | null;
  oplog_size_mb: number | null;
  /**
   * How to reach the deployment (a MongoDB connection string, credentials included), sealed with the
   * SecretBox and bound to the row; null when none was given. Never part of the inventory.
   */
  connection_string: string | null;
}

export interface MigrationHostRow {
  id: string;
  project_id: string;
  hostname: string;
  /** The host's own API key (role ORG_MIGRATION_HOST); null when it has none. */
  api_key_id: string | null;
}

export interface ApiKeyRow {
  id: string;
  public_key: string;
  /** Null for a global (administration) key. */
  org_id: string | null;
  description: string;
  /** JSON array of role names. */
  roles: string;
  /** AES-256-GCM sealed JSON of the digest HA1 values; see crypto/secret-box.ts. */
  digest_secret: string;
  created_at: string;
}

export interface ApiKeyAccessListRow {
  api_key_id: string;
  cidr: string;
}

export interface MigrationLinkRow {
  org_id: string;
  /** PENDING while the first push to the target runs (a claim), LINKED after the target accepted. */
  state: string;
  /** Sealed link-token; the source must read it back to push again. */
  link_token: string;
  /** SHA-256 of the token, to tell "the same token again" from "another token" without decrypting. */
  token_digest: string;
  target_org_id: string;
  target_org_name: string;
  status: string;
  created_at: string;
  claimed_at: string;
  last_synced_at: string | null;
  last_attempt_at: string | null;
  last_error: string | null;
  /** The inventory version of the last push (or attempt). */
  synced_inventory_version: number;
  /**
   * 1 once the organization's inventory changed since the last push (set with the inventory_version
   * bump, in the same transaction); 0 after a push that sent the current version. Indexed with state,
   * so the sync loop reads only the due links.
   */
  sync_due: Generated<number>;
}

export interface LinkTokenRow {
  id: string;
  org_id: string;
  api_key_id: string;
  access_list: string;
  created_at: string;
}

export interface LinkedSourceRow {
  target_org_id: string;
  source_org_id: string;
  link_token_id: string;
  source_org_name: string;
  /** JSON array of AvailableProject. */
  projects: string;
  pushed_at: string;
}

export interface AuditEventRow {
  id: Generated<number>;
  org_id: string;
  event_type: string;
  created_at: string;
  /** JSON object; never a secret. */
  details: string;
}

/** A nonce claimed by the node that answered it first, or (nonce `epoch:<hex>`) a replay epoch. */
export interface DigestNonceClaimRow {
  nonce: string;
  expires_at_ms: number | string;
}

export interface LeaseRow {
  name: string;
  holder: string;
  /** PostgreSQL returns bigint as a string. */
  expires_at_ms: number | string;
}

export interface AuthFailureRow {
  public_key: string;
  address: string;
  window_start_ms: number;
  failures: number;
  blocked_until_ms: number;
}

export interface UserRow {
  id: string;
  org_id: string;
  /** Lower case; unique across organizations, since a person signs in with it alone. */
  username: string;
  /** One organization role (ORG_OWNER, ORG_MEMBER, ORG_READ_ONLY). */
  role: string;
  /** `scrypt$N$r$p$salt$hash` (base64); see features/users/password-hash.ts. */
  password_hash: string;
  created_at: string;
}

export interface WebSessionRow {
  /** SHA-256 (hex) of the session id; the id itself is only ever in the browser's cookie. */
  id_hash: string;
  user_id: string;
  /** The synchronizer token every state-changing form of this session carries. */
  csrf_token: string;
  created_at_ms: number;
  /** Slides forward while the session is used; never past created_at_ms plus the absolute lifetime. */
  expires_at_ms: number;
}

/** A destination cluster of an Atlas project on the target: a real MongoDB server, reached by its connection string. */
export interface ClusterRow {
  id: string;
  /** The Atlas project (a row of projects) that holds the cluster. */
  group_id: string;
  /** Unique in the project. */
  name: string;
  /** The connection string, credentials included, sealed with the SecretBox and bound to the row. */
  connection_string: string;
  /** As the server's buildInfo reported it when the cluster was created (or as given for an offline set-up). */
  mongodb_version: string;
  created_at: string;
}

/** What a live migration or its validation was asked to do (the columns both tables share). */
export interface LiveMigrationPlanColumns {
  id: string;
  /** The target organization. */
  org_id: string;
  /** The destination project. */
  group_id: string;
  source_org_id: string;
  source_group_id: string;
  source_cluster_name: string;
  destination_cluster_id: string;
  destination_cluster_name: string;
  migration_host: string;
  drop_destination_data: number;
  managed_authentication: number;
  ssl: number;
  ca_certificate_path: string | null;
  /** The source's username and password as JSON, sealed with the SecretBox and bound to the row; null once it ended. */
  sealed_credentials: string | null;
  status: string;
  error_message: string | null;
  created_at: string;
}

export interface LiveMigrationValidationRow extends LiveMigrationPlanColumns {
  finished_at: string | null;
}

export interface LiveMigrationRow extends LiveMigrationPlanColumns {
  phase: string | null;
  ready_for_cutover: number;
  ready_since: string | null;
  lag_seconds: number | null;
  /** bigint: PostgreSQL returns it as a string. */
  documents_copied: number | string;
  collections_copied: number;
  collections_to_copy: number;
  changes_applied: number | string;
  cutover_requested_at: string | null;
  ended_at: string | null;
  last_report_at: string | null;
  stop_acknowledged: number;
}

export interface MigrationHostHeartbeatRow {
  org_id: string;
  source_org_id: string;
  source_group_id: string;
  hostname: string;
  last_seen_at: string;
}

/** A fault the control API injects into the source's calls to the target (features/control). */
export interface ControlTargetCallFaultRow {
  id: string;
  /** link, inventory, unlink or migrationProgress. */
  call: string;
  /** The injected failure, JSON (InjectedFailure). */
  failure: string;
  /** Calls it still fails; null: every call until it expires or is cleared. */
  remaining_calls: number | null;
  expires_at: string | null;
  created_at: string;
}

/** A named snapshot of the database (the rehearsal controls' reset). */
export interface ControlSnapshotRow {
  name: string;
  created_at: string;
  /** How many rows the snapshot holds, all tables together. */
  row_count: number;
  /** JSON: the schema's last migration when it was taken, and each restored table's rows as they were read. */
  tables: string;
}

/** The rehearsal clock: how far ahead of real time every node's clock is. One row (id 1), absent at real time. */
export interface ControlClockRow {
  id: number;
  /** bigint: PostgreSQL returns it as a string. */
  offset_ms: number | string;
  changed_at: string;
}

/** A rehearsal fault on a live migration (the control API's); one of each kind a migration. */
export interface LiveMigrationFaultRow {
  live_migration_id: string;
  /** FAIL_AT_PHASE | HOLD_LAG */
  kind: string;
  /** COPY | TAIL | CUTOVER, for FAIL_AT_PHASE */
  phase: string | null;
  reason: string | null;
  lag_seconds: number | null;
  created_at: string;
}
