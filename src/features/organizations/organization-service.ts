import { ApiError, apiErrors } from '../../http/api-error.js';
import type { OpenedDatabase } from '../../persistence/database.js';
import { newObjectId } from '../../persistence/ids.js';
import type { Deployment, NewDeployment, Organization, Project } from './organization.js';
import { OrganizationKyselyStore } from './organization-kysely-store.js';
import type { OrganizationStore } from './organization-store.js';

/**
 * Organizations, projects, deployments and migration hosts: the platform data both roles serve and the
 * source pushes. Every change runs in a write transaction with its inventory-version bump.
 */
/** How long a read organization is reused (see getOrganization). */
const ORGANIZATION_CACHE_MS = 1000;

export class OrganizationService {
  readonly #store: OrganizationStore;
  readonly #recent = new Map<string, { organization: Organization; until: number }>();

  constructor(
    private readonly database: OpenedDatabase,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.#store = new OrganizationKyselyStore(database.db);
  }

  private write<T>(fn: (store: OrganizationStore) => Promise<T>): Promise<T> {
    return this.database.writeTransaction((tx) => fn(new OrganizationKyselyStore(tx)));
  }

  async createOrganization(name: string, options: { requireAccessList?: boolean } = {}): Promise<Organization> {
    const organization: Organization = {
      id: newObjectId(this.now()),
      name: checkName(name, 'name'),
      requireAccessList: options.requireAccessList ?? false,
      createdAt: this.now().toISOString(),
    };
    await this.write((store) => store.createOrganization(organization));
    return organization;
  }

  /**
   * Read on nearly every request (the route's organization), so found organizations are reused for a
   * second: a change made on another node (the require-access-list setting) shows within that second.
   */
  async getOrganization(id: string): Promise<Organization | undefined> {
    const now = this.now().getTime();
    const cached = this.#recent.get(id);
    if (cached !== undefined && cached.until > now) return cached.organization;
    const organization = await this.#store.getOrganization(id);
    if (organization !== undefined) {
      if (this.#recent.size >= 10_000) this.#recent.clear();
      this.#recent.set(id, { organization, until: now + ORGANIZATION_CACHE_MS });
    }
    return organization;
  }

  findOrganizationByName(name: string): Promise<Organization | undefined> {
    return this.#store.findOrganizationByName(name);
  }

  listOrganizations(ids?: readonly string[]): Promise<Organization[]> {
    return this.#store.listOrganizations(ids);
  }

  async setRequireAccessList(orgId: string, required: boolean): Promise<void> {
    this.#recent.delete(orgId);
    if (!(await this.write((store) => store.setRequireAccessList(orgId, required)))) throw apiErrors.orgNotFound(orgId);
  }

  async createProject(orgId: string, name: string): Promise<Project> {
    if ((await this.getOrganization(orgId)) === undefined) throw apiErrors.orgNotFound(orgId);
    const project: Project = { id: newObjectId(this.now()), orgId, name: checkName(name, 'name'), createdAt: this.now().toISOString() };
    try {
      await this.write((store) => store.createProject(project));
    } catch (error) {
      if (isUniqueViolation(error)) throw new ApiError(409, 'DUPLICATE_GROUP_NAME', `Project name ${name} is already in use.`, [name]);
      throw error;
    }
    return project;
  }

  getProject(id: string): Promise<Project | undefined> {
    return this.#store.getProject(id);
  }

  listProjects(orgId: string): Promise<Project[]> {
    return this.#store.listProjects(orgId);
  }

  async createDeployment(projectId: string, deployment: Omit<NewDeployment, 'projectId'>): Promise<Deployment> {
    if ((await this.getProject(projectId)) === undefined) throw apiErrors.groupNotFound(projectId);
    const created: Deployment = { ...deployment, id: newObjectId(this.now()), projectId, name: checkName(deployment.name, 'name') };
    try {
      await this.write((store) => store.createDeployment(created));
    } catch (error) {
      if (isUniqueViolation(error)) throw duplicateDeployment(deployment.name);
      throw error;
    }
    return created;
  }

  async updateDeployment(id: string, changes: Partial<Omit<NewDeployment, 'projectId'>>): Promise<Deployment> {
    let updated: Deployment | undefined;
    try {
      updated = await this.write((store) => store.updateDeployment(id, changes));
    } catch (error) {
      if (isUniqueViolation(error)) throw duplicateDeployment(changes.name ?? '');
      throw error;
    }
    if (updated === undefined) throw new ApiError(404, 'CLUSTER_NOT_FOUND', `No cluster with ID ${id} exists.`, [id]);
    return updated;
  }

  getDeployment(id: string): Promise<Deployment | undefined> {
    return this.#store.getDeployment(id);
  }

  listDeployments(projectId: string): Promise<Deployment[]> {
    return this.#store.listDeployments(projectId);
  }

  async addMigrationHost(projectId: string, hostname: string): Promise<void> {
    if ((await this.getProject(projectId)) === undefined) throw apiErrors.groupNotFound(projectId);
    if (!/^[A-Za-z0-9.:-]{1,253}$/.test(hostname)) throw apiErrors.invalidAttribute('hostname');
    try {
      await this.write((store) => store.addMigrationHost({ id: newObjectId(this.now()), projectId, hostname }));
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
  }

  async removeMigrationHost(projectId: string, hostname: string): Promise<boolean> {
    return this.write((store) => store.removeMigrationHost(projectId, hostname));
  }

  inventory(orgId: string): ReturnType<OrganizationStore['inventory']> {
    return this.#store.inventory(orgId);
  }
}

function duplicateDeployment(name: string): ApiError {
  return new ApiError(409, 'DUPLICATE_CLUSTER_NAME', `A deployment named ${name} already exists in this project.`, [name]);
}

function checkName(name: string, attribute: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > 64) throw apiErrors.invalidAttribute(attribute, 'a name has 1 to 64 characters.');
  return trimmed;
}

/** SQLite and PostgreSQL report a unique-key violation differently; both mean "already exists". */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}
