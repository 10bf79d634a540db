/** Domain types of the platform data both roles serve: organizations and what they hold. */

export interface Organization {
  id: string;
  name: string;
  /** Ops Manager's "Require IP Access List for Public API" organization setting. */
  requireAccessList: boolean;
  createdAt: string;
}

export interface Project {
  id: string;
  orgId: string;
  name: string;
  createdAt: string;
}

/** A deployment (cluster or replica set) with the facts Atlas's AvailableDeployment reports. */
export interface Deployment {
  id: string;
  projectId: string;
  name: string;
  mongoDBVersion: string;
  featureCompatibilityVersion: string;
  managed: boolean;
  sharded: boolean;
  shardsSize: number | null;
  tlsEnabled: boolean;
  agentVersion: string | null;
  dbSizeBytes: number | null;
  oplogSizeMB: number | null;
}

export type NewDeployment = Omit<Deployment, 'id'>;

/**
 * The shapes of a deployment's facts, as the CLI and fixtures check them (the target accepts these in a
 * push): a MongoDB version like 7.0.5 or 7.0.12-ent, a feature compatibility version like 7.0, an
 * automation agent version like 12.0.33.7866-1.
 */
export const MONGODB_VERSION_PATTERN = /^\d+\.\d+\.\d+[0-9A-Za-z.+-]*$/;
export const FCV_PATTERN = /^\d{1,3}\.\d{1,3}$/;
export const AGENT_VERSION_PATTERN = /^[0-9A-Za-z._+-]{1,64}$/;

/** A migration host's name, as every part of livelink that takes one checks it. */
export const MIGRATION_HOSTNAME_PATTERN = /^[A-Za-z0-9.:-]{1,253}$/;

export function isMongoDBVersion(value: string): boolean {
  return value.length <= 64 && MONGODB_VERSION_PATTERN.test(value);
}

export interface MigrationHost {
  id: string;
  projectId: string;
  hostname: string;
}

/** One project with what a live migration can use from it: what the source pushes to the target. */
export interface ProjectInventory {
  project: Project;
  deployments: Deployment[];
  migrationHosts: string[];
}
