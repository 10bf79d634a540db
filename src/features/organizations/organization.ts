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
