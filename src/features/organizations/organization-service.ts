import type { SecretBox } from '../../crypto/secret-box.js';
import { apiErrors } from '../../http/api-error.js';
import { checkConnectionString, ConnectionStringError, maskedConnectionString } from '../../shared/connection-string.js';
import { newObjectId } from '../../shared/ids.js';
import { BatchedRead } from '../../persistence/batched-read.js';
import type { WriteTransaction } from '../../persistence/write-transaction.js';
import { MIGRATION_HOSTNAME_PATTERN, type Deployment, type NewDeployment, type Organization, type Project } from './organization.js';
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
  /**
   * The reads behind getOrganization, a turn's together (persistence/batched-read.ts): with more
   * organizations than #recent holds, nearly every request misses it, and one statement for a turn's
   * requests costs little more than one for a single request.
   */
  readonly #reads = new BatchedRead(async (ids) => new Map((await this.store.listOrganizations(ids)).map((org) => [org.id, org])));

  constructor(
    private readonly store: OrganizationStore,
    private readonly transaction: WriteTransaction<OrganizationWrites>,
    /** Seals the deployments' connection strings, bound to their rows. */
    private readonly secretBox: Pick<SecretBox, 'seal' | 'open' | 'isStale'>,
    private readonly now: () => Date,
  ) {}

  /** `id`: the id to give it (a fixture's), else a new one. */
  async createOrganization(name: string, options: { requireAccessList?: boolean; id?: string } = {}): Promise<Organization> {
    const organization: Organization = {
      id: options.id ?? newObjectId(this.now()),
      name: checkName(name, 'name'),
      requireAccessList: options.requireAccessList ?? false,
      createdAt: this.now().toISOString(),
    };
    await this.transaction(({ organizations }) => organizations.createOrganization(organization));
    return organization;
  }

  /**
   * Drops the organizations read in the last second: for a change made around this service (a fixture
   * file applied by set-up services of their own, a reset to a snapshot), whose next read must see it.
   */
  forgetCached(): void {
    this.#recent.clear();
  }

  /**
   * Read on nearly every request (the route's organization), so found organizations are reused for a
   * second: a change made on another node (the require-access-list setting) shows within that second.
   */
  async getOrganization(id: string): Promise<Organization | undefined> {
    const now = this.now().getTime();
    const cached = this.#recent.get(id);
    if (cached !== undefined && cached.until > now) return cached.organization;
    const organization = await this.#reads.get(id);
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

  async createProject(orgId: string, name: string, options: { id?: string } = {}): Promise<Project> {
    if ((await this.getOrganization(orgId)) === undefined) throw apiErrors.orgNotFound(orgId);
    const project: Project = {
      id: options.id ?? newObjectId(this.now()),
      orgId,
      name: checkName(name, 'name'),
      createdAt: this.now().toISOString(),
    };
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

  /**
   * `connectionString`: how the source's migration host reaches the deployment, credentials included. It
   * is checked with the driver's parser, sealed, and never shown back in clear nor pushed to the target.
   */
  async createDeployment(
    projectId: string,
    deployment: Omit<NewDeployment, 'projectId'>,
    connectionString?: string,
    options: { id?: string } = {},
  ): Promise<Deployment> {
    const project = await this.getProject(projectId);
    if (project === undefined) throw apiErrors.groupNotFound(projectId);
    if (connectionString !== undefined) await checkedConnectionString(connectionString);
    const created: Deployment = {
      ...deployment,
      id: options.id ?? newObjectId(this.now()),
      projectId,
      name: checkName(deployment.name, 'name'),
    };
    const sealed = connectionString === undefined ? null : this.secretBox.seal(connectionString, deploymentBinding(created));
    try {
      await this.transaction(async (writes) => {
        await writes.organizations.createDeployment(created, sealed);
        await writes.inventoryChanged(project.orgId);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw apiErrors.duplicateClusterName(deployment.name);
      throw error;
    }
    return created;
  }

  /**
   * Changes the facts given, and the connection string when one is given (null removes it). The
   * connection string alone is no change to the inventory: the target is not told of it.
   */
  async updateDeployment(
    id: string,
    changes: Partial<Omit<NewDeployment, 'projectId'>>,
    connectionString?: string | null,
  ): Promise<Deployment> {
    if (typeof connectionString === 'string') await checkedConnectionString(connectionString);
    const factsChange = connectionString === undefined || Object.keys(changes).length > 0;
    let updated: Deployment | undefined;
    try {
      updated = await this.transaction(async (writes) => {
        const deployment = factsChange
          ? await writes.organizations.updateDeployment(id, changes)
          : await writes.organizations.getDeployment(id);
        if (deployment === undefined) return undefined;
        if (factsChange) await inventoryOfProjectChanged(writes, deployment.projectId);
        if (connectionString !== undefined) {
          const sealed = connectionString === null ? null : this.secretBox.seal(connectionString, deploymentBinding(deployment));
          await writes.organizations.setDeploymentConnectionString(id, sealed);
        }
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

  findDeploymentByName(projectId: string, name: string): Promise<Deployment | undefined> {
    return this.store.findDeploymentByName(projectId, name);
  }

  /**
   * The deployment's connection string in clear, credentials included: only for the migration host's
   * job, which must connect with it. Undefined when the deployment has none (or does not exist).
   */
  async connectionStringOf(deploymentId: string): Promise<string | undefined> {
    const deployment = await this.store.getDeployment(deploymentId);
    if (deployment === undefined) return undefined;
    const sealed = await this.store.deploymentConnectionString(deploymentId);
    return sealed === undefined ? undefined : this.secretBox.open(sealed, deploymentBinding(deployment));
  }

  /** The connection strings of a project's deployments, by deployment id, with their passwords masked: what the CLI shows. */
  async maskedConnectionStrings(projectId: string): Promise<Map<string, string>> {
    const masked = new Map<string, string>();
    for (const { deploymentId, sealed } of await this.store.deploymentConnectionStrings(projectId)) {
      masked.set(
        deploymentId,
        await maskedConnectionString(this.secretBox.open(sealed, deploymentBinding({ id: deploymentId, projectId }))),
      );
    }
    return masked;
  }

  /** Re-seals every deployment connection string sealed with an older key (see ApiKeyService.resealSecrets). */
  async resealConnectionStrings(): Promise<number> {
    let resealed = 0;
    for (const { deploymentId, projectId, sealed } of await this.store.deploymentConnectionStrings()) {
      if (!this.secretBox.isStale(sealed)) continue;
      const binding = deploymentBinding({ id: deploymentId, projectId });
      const fresh = this.secretBox.seal(this.secretBox.open(sealed, binding), binding);
      if (await this.transaction(({ organizations }) => organizations.replaceDeploymentConnectionString(deploymentId, sealed, fresh))) {
        resealed += 1;
      }
    }
    return resealed;
  }

  async addMigrationHost(projectId: string, hostname: string): Promise<void> {
    const project = await this.getProject(projectId);
    if (project === undefined) throw apiErrors.groupNotFound(projectId);
    if (!MIGRATION_HOSTNAME_PATTERN.test(hostname)) throw apiErrors.invalidAttribute('hostname');
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

/** A sealed connection string opens only in the row it was sealed for (a project never changes). */
function deploymentBinding(deployment: Pick<Deployment, 'id' | 'projectId'>): string {
  return `deployments|${deployment.id}|${deployment.projectId}`;
}

/**
 * A service's own check of a connection string, as the API's INVALID_ATTRIBUTE (the CLI checks before it
 * opens the database, too). The clusters' service checks theirs with it.
 */
export async function checkedConnectionString(connectionString: string): Promise<void> {
  try {
    await checkConnectionString(connectionString);
  } catch (error) {
    if (error instanceof ConnectionStringError) throw apiErrors.invalidAttribute('connectionString', sentence(error.message));
    throw error;
  }
}

/** A message as the end of a detail: one sentence, with its full stop. */
function sentence(message: string): string {
  return message.endsWith('.') ? message : `${message}.`;
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
