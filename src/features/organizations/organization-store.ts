import type { Deployment, MigrationHost, NewDeployment, Organization, Project, ProjectInventory } from './organization.js';

/**
 * Storage of organizations, projects, deployments and migration hosts. Every change to a project,
 * deployment or migration host bumps the organization's inventory version in the same statement
 * batch: a push records the version it sent, and a link whose organization has moved past it is pushed
 * again. Absent records are `undefined` (or `false` for a change), never an error.
 */
export interface OrganizationStore {
  createOrganization(organization: Organization): Promise<void>;
  getOrganization(id: string): Promise<Organization | undefined>;
  findOrganizationByName(name: string): Promise<Organization | undefined>;
  listOrganizations(ids?: readonly string[]): Promise<Organization[]>;
  setRequireAccessList(id: string, required: boolean): Promise<boolean>;

  createProject(project: Project): Promise<void>;
  getProject(id: string): Promise<Project | undefined>;
  listProjects(orgId: string): Promise<Project[]>;

  /** `sealedConnectionString`: how to reach the deployment, sealed by the service (see connection strings below). */
  createDeployment(deployment: Deployment, sealedConnectionString?: string | null): Promise<void>;
  updateDeployment(id: string, changes: Partial<NewDeployment>): Promise<Deployment | undefined>;
  getDeployment(id: string): Promise<Deployment | undefined>;
  findDeploymentByName(projectId: string, name: string): Promise<Deployment | undefined>;
  listDeployments(projectId: string): Promise<Deployment[]>;

  // A deployment's connection string is kept apart from the Deployment the lists, the API and the
  // inventory carry: sealed, read only through these, and no part of the inventory (changing it bumps nothing).
  /** Sets (or, with null, removes) the sealed connection string; false for an unknown deployment. */
  setDeploymentConnectionString(id: string, sealed: string | null): Promise<boolean>;
  /** The sealed connection string; undefined when the deployment has none or does not exist. */
  deploymentConnectionString(id: string): Promise<string | undefined>;
  /** Every sealed connection string, of one project's deployments or of all: for the CLI's masked lists and re-sealing. */
  deploymentConnectionStrings(projectId?: string): Promise<{ deploymentId: string; projectId: string; sealed: string }[]>;
  /** Replaces the sealed connection string if it is still `current`; false when it changed meanwhile. */
  replaceDeploymentConnectionString(id: string, current: string, fresh: string): Promise<boolean>;

  addMigrationHost(host: MigrationHost): Promise<void>;
  removeMigrationHost(projectId: string, hostname: string): Promise<boolean>;

  inventory(orgId: string): Promise<{ version: number; projects: ProjectInventory[] }>;
  /** The inventory version alone (undefined for an unknown organization): what a finishing push compares. */
  inventoryVersion(orgId: string): Promise<number | undefined>;
}
