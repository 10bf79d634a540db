import { apiErrors } from '../../http/api-error.js';
import { newObjectId } from '../../shared/ids.js';
import type { WriteTransaction } from '../../persistence/write-transaction.js';
import type { Deployment, NewDeployment, Organization, Project } from './organization.js';
import type { OrganizationStore } from './organization-store.js';

/** What the organization service uses in a write transaction. */
export interface OrganizationWrites {
  organizations: OrganizationStore;
  /**
   * Told, inside the same write transaction, that the organization's inventory changed. The composition
   * root binds it to the link store's markDue, so a change and the flag that has it pushed commit
   * together, and this feature knows nothing of links.
   */
  inventoryChanged(orgId: string): Promise<void>;
}

/** How long a read organization is reused (see getOrganization). */
const ORGANIZATION_CACHE_MS = 1000;

/**
 * Organizations, projects, deployments and migration hosts: the platform data both roles serve and the
 * source pushes. Every change runs in a write transaction with its inventory-version bump.
 */
export class OrganizationService {
  readonly #recent = new Map<string, { organization: Organization; until: number }>();

  constructor(
    private readonly store: OrganizationStore,
    private readonly transaction: WriteTransaction<OrganizationWrites>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async createOrganization(name: string, options: { requireAccessList?: boolean } = {}): Promise<Organization> {
    const organization: Organization = {
      id: newObjectId(this.now()),
      name: checkName(name, 'name'),
      requireAccessList: options.requireAccessList ?? false,
      createdAt: this.now().toISOString(),
    };
    await this.transaction(({ organizations }) => organizations.createOrganization(organization));
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
    const organization = await this.store.getOrganization(id);
    if (organization !== undefined) {
      if (this.#recent.size >= 10_000) this.#recent.clear();
      this.#recent.set(id, { organization, until: now + ORGANIZATION_CACHE_MS });
    }
    return organization;
  }

  findOrganizationByName(name: string): Promise<Organization | undefined> {
    return this.store.findOrganizationByName(name);
  }

  listOrganizations(ids?: readonly string[]): Promise<Organization[]> {
    return this.store.listOrganizations(ids);
  }

  async setRequireAccessList(orgId: string, required: boolean): Promise<void> {
    this.#recent.delete(orgId);
    if (!(await this.transaction(({ organizations }) => organizations.setRequireAccessList(orgId, required))))
      throw apiErrors.orgNotFound(orgId);
  }

  async createProject(orgId: string, name: string): Promise<Project> {
    if ((await this.getOrganization(orgId)) === undefined) throw apiErrors.orgNotFound(orgId);
    const project: Project = { id: newObjectId(this.now()), orgId, name: checkName(name, 'name'), createdAt: this.now().toISOString() };
    try {
      await this.transaction(async (writes) => {
        await writes.organizations.createProject(project);
        await writes.inventoryChanged(orgId);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw apiErrors.duplicateGroupName(name);
      throw error;
    }
    return project;
  }

  getProject(id: string): Promise<Project | undefined> {
    return this.store.getProject(id);
  }

  listProjects(orgId: string): Promise<Project[]> {
    return this.store.listProjects(orgId);
  }

  async createDeployment(projectId: string, deployment: Omit<NewDeployment, 'projectId'>): Promise<Deployment> {
    const project = await this.getProject(projectId);
    if (project === undefined) throw apiErrors.groupNotFound(projectId);
    const created: Deployment = { ...deployment, id: newObjectId(this.now()), projectId, name: checkName(deployment.name, 'name') };
    try {
      await this.transaction(async (writes) => {
        await writes.organizations.createDeployment(created);
        await writes.inventoryChanged(project.orgId);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw apiErrors.duplicateClusterName(deployment.name);
      throw error;
    }
    return created;
  }

  async updateDeployment(id: string, changes: Partial<Omit<NewDeployment, 'projectId'>>): Promise<Deployment> {
    let updated: Deployment | undefined;
    try {
      updated = await this.transaction(async (writes) => {
        const deployment = await writes.organizations.updateDeployment(id, changes);
        if (deployment !== undefined) await inventoryOfProjectChanged(writes, deployment.projectId);
        return deployment;
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw apiErrors.duplicateClusterName(changes.name ?? '');
      throw error;
    }
    if (updated === undefined) throw apiErrors.clusterNotFound(id);
    return updated;
  }

  getDeployment(id: string): Promise<Deployment | undefined> {
    return this.store.getDeployment(id);
  }

  listDeployments(projectId: string): Promise<Deployment[]> {
    return this.store.listDeployments(projectId);
  }

  async addMigrationHost(projectId: string, hostname: string): Promise<void> {
    const project = await this.getProject(projectId);
    if (project === undefined) throw apiErrors.groupNotFound(projectId);
    if (!/^[A-Za-z0-9.:-]{1,253}$/.test(hostname)) throw apiErrors.invalidAttribute('hostname');
    try {
      await this.transaction(async (writes) => {
        await writes.organizations.addMigrationHost({ id: newObjectId(this.now()), projectId, hostname });
        await writes.inventoryChanged(project.orgId);
      });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
  }

  async removeMigrationHost(projectId: string, hostname: string): Promise<boolean> {
    return this.transaction(async (writes) => {
      const removed = await writes.organizations.removeMigrationHost(projectId, hostname);
      if (removed) await inventoryOfProjectChanged(writes, projectId);
      return removed;
    });
  }

  inventory(orgId: string): ReturnType<OrganizationStore['inventory']> {
    return this.store.inventory(orgId);
  }
}

/** Tells of a change to a project's inventory, in the transaction that made it (a project never changes organization). */
async function inventoryOfProjectChanged(writes: OrganizationWrites, projectId: string): Promise<void> {
  const project = await writes.organizations.getProject(projectId);
  if (project !== undefined) await writes.inventoryChanged(project.orgId);
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
