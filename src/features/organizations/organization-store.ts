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

  createDeployment(deployment: Deployment): Promise<void>;
  updateDeployment(id: string, changes: Partial<NewDeployment>): Promise<Deployment | undefined>;
  getDeployment(id: string): Promise<Deployment | undefined>;
  listDeployments(projectId: string): Promise<Deployment[]>;

  addMigrationHost(host: MigrationHost): Promise<void>;
  removeMigrationHost(projectId: string, hostname: string): Promise<boolean>;

  inventory(orgId: string): Promise<{ version: number; projects: ProjectInventory[] }>;
  /** The inventory version alone (undefined for an unknown organization): what a finishing push compares. */
  inventoryVersion(orgId: string): Promise<number | undefined>;
}
