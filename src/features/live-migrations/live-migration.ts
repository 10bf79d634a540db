/**
 * Push live migrations on the target (Atlas): validations and migrations of one source deployment into
 * one destination cluster, run by a migration host of the source project, which reports through the
 * source's relay (docs/live-migrations.md).
 */

export type ValidationStatus = 'PENDING' | 'SUCCESS' | 'FAILED';

/** Atlas's LiveMigrationResponse.status. */
export type MigrationStatus = 'NEW' | 'WORKING' | 'FAILED' | 'COMPLETE' | 'EXPIRED';

/** Where the migration host is in its work, as it reports it. */
export type HostPhase = 'STARTING' | 'COPYING' | 'TAILING' | 'CUTTING_OVER' | 'COMPLETE' | 'FAILED';

export const HOST_PHASES: readonly HostPhase[] = ['STARTING', 'COPYING', 'TAILING', 'CUTTING_OVER', 'COMPLETE', 'FAILED'];

export type HostnameSchemaType = 'PUBLIC' | 'PRIVATE_LINK' | 'VPC_PEERING';

/** A migration slot is held while a migration is in one of these. */
export const ACTIVE_STATUSES: readonly MigrationStatus[] = ['NEW', 'WORKING'];

export function isActive(status: MigrationStatus): boolean {
  return ACTIVE_STATUSES.includes(status);
}

/**
 * A validation or migration request as the API accepts it, whichever version of the body it came in
 * (the routes map `dropEnabled` and `dropDestinationData` to one field, and the Atlas CLI's empty strings
 * to null).
 */
export interface MigrationRequest {
  source: {
    clusterName: string;
    groupId: string;
    managedAuthentication: boolean;
    ssl: boolean;
    caCertificatePath: string | null;
    username: string | null;
    password: string | null;
  };
  destination: {
    clusterName: string;
    groupId: string;
    hostnameSchemaType: HostnameSchemaType;
    privateLinkId: string | null;
  };
  migrationHosts: string[];
  dropDestinationData: boolean;
  /** Sharding entries asked for; livelink's destination clusters are replica sets, so only none is accepted. */
  shardingEntries: number;
}

/** What a validation or migration is to do, once its request passed the static checks. */
export interface MigrationPlan {
  /** The target organization, owner of the destination project. */
  orgId: string;
  /** The destination project (Atlas `groupId`). */
  groupId: string;
  sourceOrgId: string;
  sourceGroupId: string;
  sourceClusterName: string;
  destinationClusterId: string;
  destinationClusterName: string;
  migrationHost: string;
  dropDestinationData: boolean;
  managedAuthentication: boolean;
  ssl: boolean;
  caCertificatePath: string | null;
}

/** The source's database user when Automation does not manage authentication; sealed at rest. */
export interface SourceCredentials {
  username: string;
  password: string;
}

export interface LiveMigrationValidation {
  id: string;
  plan: MigrationPlan;
  /** SecretBox-sealed SourceCredentials JSON; removed once the validation ends. */
  sealedCredentials: string | null;
  status: ValidationStatus;
  errorMessage: string | null;
  createdAt: string;
  finishedAt: string | null;
}

export interface LiveMigration {
  id: string;
  plan: MigrationPlan;
  /** SecretBox-sealed SourceCredentials JSON; removed once the migration ends. */
  sealedCredentials: string | null;
  status: MigrationStatus;
  /** The host's last reported phase; null before its first report. */
  phase: HostPhase | null;
  /** Set once the host is tailing and caught up; it stays set. */
  readyForCutover: boolean;
  /** When readyForCutover was set: the start of the expiry timer. */
  readySince: string | null;
  /** The host's measured lag (the age of the last applied change), null while it has none to give. */
  lagSeconds: number | null;
  documentsCopied: number;
  collectionsCopied: number;
  collectionsToCopy: number;
  changesApplied: number;
  /** Why it FAILED or EXPIRED. */
  errorMessage: string | null;
  cutoverRequestedAt: string | null;
  /** When it became COMPLETE, FAILED or EXPIRED. */
  endedAt: string | null;
  lastReportAt: string | null;
  /** Whether the host has been told to stop (or knows, having reported the failure itself). */
  stopAcknowledged: boolean;
  createdAt: string;
}

/** One migration host as the relay names it: target organization, source organization and project, hostname. */
export interface HostKey {
  orgId: string;
  sourceOrgId: string;
  sourceGroupId: string;
  hostname: string;
}

/** The job a migration host is given through the relay (docs/live-migrations.md, "The relay's exact shapes"). */
export interface MigrationJob {
  id: string;
  kind: 'VALIDATION' | 'MIGRATION';
  sourceGroupId: string;
  sourceClusterName: string;
  source: {
    managedAuthentication: boolean;
    username: string | null;
    password: string | null;
    ssl: boolean;
    caCertificatePath: string | null;
  };
  destination: { clusterName: string; connectionString: string };
  dropDestinationData: boolean;
  cutoverRequested: boolean;
  stop: boolean;
}

export type JobReport =
  | { kind: 'VALIDATION'; status: 'SUCCESS' | 'FAILED'; errorMessage?: string | null | undefined }
  | {
      kind: 'MIGRATION';
      phase: HostPhase;
      documentsCopied: number;
      collectionsCopied: number;
      collectionsToCopy: number;
      changesApplied: number;
      lagSeconds: number | null;
      caughtUp: boolean;
      errorMessage?: string | null | undefined;
    };

/** What the host is told after each report. */
export interface JobInstructions {
  cutoverRequested: boolean;
  stop: boolean;
}

/** Where a rehearsal fault fails a migration: COPY is the host's COPYING, TAIL its TAILING, CUTOVER the cutover request (or CUTTING_OVER). */
export type MigrationFaultPhase = 'COPY' | 'TAIL' | 'CUTOVER';

/**
 * A rehearsal fault on one migration, stored with it (so every node sharing the database applies it):
 * FAIL_AT_PHASE fails the migration with `reason` when it reaches `phase`; HOLD_LAG shows `lagSeconds` as
 * its lag (readyForCutover following it) until cleared.
 */
export interface LiveMigrationFault {
  liveMigrationId: string;
  kind: 'FAIL_AT_PHASE' | 'HOLD_LAG';
  phase?: MigrationFaultPhase;
  reason?: string;
  lagSeconds?: number;
  createdAt: string;
}
