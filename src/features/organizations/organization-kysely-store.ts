import type { CompiledQuery } from 'kysely';
import { ORGANIZATION_READ_INDEX, readThrough } from '../../persistence/covering-index.js';
import type { Db } from '../../persistence/database.js';
import type { Dialect } from '../../persistence/migrations.js';
import type { DeploymentRow, OrganizationRow, ProjectRow } from '../../persistence/schema.js';
import type { Deployment, MigrationHost, NewDeployment, Organization, Project, ProjectInventory } from './organization.js';
import type { OrganizationStore } from './organization-store.js';

/** OrganizationStore on Kysely: one implementation for every SQL dialect livelink runs on. */
export class OrganizationKyselyStore implements OrganizationStore {
  constructor(
    private readonly db: Db,
    private readonly dialect: Dialect,
  ) {}

  async createOrganization(organization: Organization): Promise<void> {
    await this.db
      .insertInto('organizations')
      .values({
        id: organization.id,
        name: organization.name,
        require_access_list: organization.requireAccessList ? 1 : 0,
        inventory_version: 0,
        created_at: organization.createdAt,
      })
      .execute();
  }

  async getOrganization(id: string): Promise<Organization | undefined> {
    const row = await this.db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toOrganization(row);
  }

  async findOrganizationByName(name: string): Promise<Organization | undefined> {
    const row = await this.db.selectFrom('organizations').selectAll().where('name', '=', name).orderBy('id').executeTakeFirst();
    return row && toOrganization(row);
  }

  async listOrganizations(ids?: readonly string[]): Promise<Organization[]> {
    if (ids === undefined) return (await this.db.selectFrom('organizations').selectAll().orderBy('id').execute()).map(toOrganization);
    if (ids.length === 0) return [];
    // By ids, this answers the service's batched reads of the routes' organizations (a turn's requests
    // together, on most requests once there are more organizations than its short cache holds): compiled
    // once per number of ids, then run with the ids (Kysely would build and compile the same query every time),
    // and on SQLite through the index that holds the columns an Organization has, one B-tree search an
    // organization (inventory_version is left out of both: it changes with every inventory change).
    let compiled = this.#byIds.get(ids.length);
    if (compiled === undefined) {
      compiled = readThrough(
        this.dialect,
        this.db
          .selectFrom('organizations')
          .select(ORGANIZATION_COLUMNS)
          .where(
            'id',
            'in',
            ids.map(() => ''),
          )
          .orderBy('id')
          .compile(),
        'organizations',
        ORGANIZATION_READ_INDEX,
      );
      this.#byIds.set(ids.length, compiled);
    }
    const { rows } = await this.db.executeQuery<OrganizationColumns>({ ...compiled, parameters: ids });
    return rows.map(toOrganization);
  }

  readonly #byIds = new Map<number, CompiledQuery<OrganizationColumns>>();

  async setRequireAccessList(id: string, required: boolean): Promise<boolean> {
    const result = await this.db
      .updateTable('organizations')
      .set({ require_access_list: required ? 1 : 0 })
      .where('id', '=', id)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async createProject(project: Project): Promise<void> {
    await this.db
      .insertInto('projects')
      .values({ id: project.id, org_id: project.orgId, name: project.name, created_at: project.createdAt })
      .execute();
    await this.bumpInventory(project.orgId);
  }

  async getProject(id: string): Promise<Project | undefined> {
    const row = await this.db.selectFrom('projects').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toProject(row);
  }

  async listProjects(orgId: string): Promise<Project[]> {
    const rows = await this.db.selectFrom('projects').selectAll().where('org_id', '=', orgId).orderBy('id').execute();
    return rows.map(toProject);
  }

  async createDeployment(deployment: Deployment, sealedConnectionString: string | null = null): Promise<void> {
    await this.db
      .insertInto('deployments')
      .values({ ...toDeploymentRow(deployment), connection_string: sealedConnectionString })
      .execute();
    await this.bumpInventoryOfProject(deployment.projectId);
  }

  async updateDeployment(id: string, changes: Partial<NewDeployment>): Promise<Deployment | undefined> {
    const current = await this.getDeployment(id);
    if (current === undefined) return undefined;
    const updated: Deployment = { ...current, ...changes, id, projectId: current.projectId };
    const { id: _id, project_id: _project, ...columns } = toDeploymentRow(updated);
    await this.db.updateTable('deployments').set(columns).where('id', '=', id).execute();
    await this.bumpInventoryOfProject(current.projectId);
    return updated;
  }

  async getDeployment(id: string): Promise<Deployment | undefined> {
    const row = await this.db.selectFrom('deployments').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toDeployment(row);
  }

  async findDeploymentByName(projectId: string, name: string): Promise<Deployment | undefined> {
    const row = await this.db
      .selectFrom('deployments')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('name', '=', name)
      .executeTakeFirst();
    return row && toDeployment(row);
  }

  async listDeployments(projectId: string): Promise<Deployment[]> {
    const rows = await this.db.selectFrom('deployments').selectAll().where('project_id', '=', projectId).orderBy('name').execute();
    return rows.map(toDeployment);
  }

  async setDeploymentConnectionString(id: string, sealed: string | null): Promise<boolean> {
    const result = await this.db.updateTable('deployments').set({ connection_string: sealed }).where('id', '=', id).executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async deploymentConnectionString(id: string): Promise<string | undefined> {
    const row = await this.db.selectFrom('deployments').select('connection_string').where('id', '=', id).executeTakeFirst();
    return row?.connection_string ?? undefined;
  }

  async deploymentConnectionStrings(projectId?: string): Promise<{ deploymentId: string; projectId: string; sealed: string }[]> {
    let query = this.db
      .selectFrom('deployments')
      .select(['id', 'project_id', 'connection_string'])
      .where('connection_string', 'is not', null)
      .orderBy('id');
    if (projectId !== undefined) query = query.where('project_id', '=', projectId);
    const rows = await query.execute();
    return rows.flatMap((row) =>
      row.connection_string === null ? [] : [{ deploymentId: row.id, projectId: row.project_id, sealed: row.connection_string }],
    );
  }

  async replaceDeploymentConnectionString(id: string, current: string, fresh: string): Promise<boolean> {
    const result = await this.db
      .updateTable('deployments')
      .set({ connection_string: fresh })
      .where('id', '=', id)
      .where('connection_string', '=', current)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async addMigrationHost(host: MigrationHost): Promise<void> {
    await this.db.insertInto('migration_hosts').values({ id: host.id, project_id: host.projectId, hostname: host.hostname }).execute();
    await this.bumpInventoryOfProject(host.projectId);
  }

  async removeMigrationHost(projectId: string, hostname: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('migration_hosts')
      .where('project_id', '=', projectId)
      .where('hostname', '=', hostname)
      .executeTakeFirst();
    if (result.numDeletedRows === 0n) return false;
    await this.bumpInventoryOfProject(projectId);
    return true;
  }

  async inventory(orgId: string): Promise<{ version: number; projects: ProjectInventory[] }> {
    const org = await this.db.selectFrom('organizations').select('inventory_version').where('id', '=', orgId).executeTakeFirst();
    const projects = await this.listProjects(orgId);
    const projectIds = projects.map((p) => p.id);
    const [deployments, hosts] =
      projectIds.length === 0
        ? [[], []]
        : await Promise.all([
            this.db.selectFrom('deployments').selectAll().where('project_id', 'in', projectIds).orderBy('name').execute(),
            this.db.selectFrom('migration_hosts').selectAll().where('project_id', 'in', projectIds).orderBy('hostname').execute(),
          ]);
    return {
      version: org?.inventory_version ?? 0,
      projects: projects.map((project) => ({
        project,
        deployments: deployments.filter((d) => d.project_id === project.id).map(toDeployment),
        migrationHosts: hosts.filter((h) => h.project_id === project.id).map((h) => h.hostname),
      })),
    };
  }

  async inventoryVersion(orgId: string): Promise<number | undefined> {
    const row = await this.db.selectFrom('organizations').select('inventory_version').where('id', '=', orgId).executeTakeFirst();
    return row?.inventory_version;
  }

  // The bumps run inside the caller's write transaction. Only the organization's own version moves
  // here; what else must learn of the change (a link's sync_due flag) is told by the service, in the
  // same transaction, so the two commit together.
  private async bumpInventory(orgId: string): Promise<void> {
    await this.db
      .updateTable('organizations')
      .set((eb) => ({ inventory_version: eb('inventory_version', '+', 1) }))
      .where('id', '=', orgId)
      .execute();
  }

  private async bumpInventoryOfProject(projectId: string): Promise<void> {
    const orgOfProject = this.db.selectFrom('projects').select('org_id').where('id', '=', projectId);
    await this.db
      .updateTable('organizations')
      .set((eb) => ({ inventory_version: eb('inventory_version', '+', 1) }))
      .where('id', '=', orgOfProject)
      .execute();
  }
}

/** What an Organization is made of: every column but inventory_version. */
const ORGANIZATION_COLUMNS = ['id', 'name', 'require_access_list', 'created_at'] as const;
type OrganizationColumns = Pick<OrganizationRow, (typeof ORGANIZATION_COLUMNS)[number]>;

function toOrganization(row: OrganizationColumns): Organization {
  return { id: row.id, name: row.name, requireAccessList: row.require_access_list === 1, createdAt: row.created_at };
}

function toProject(row: ProjectRow): Project {
  return { id: row.id, orgId: row.org_id, name: row.name, createdAt: row.created_at };
}

function toDeployment(row: DeploymentRow): Deployment {
  return {
    id: row.id,
    projectId: row.project_id,
    name: row.name,
    mongoDBVersion: row.mongodb_version,
    featureCompatibilityVersion: row.feature_compatibility_version,
    managed: row.managed === 1,
    sharded: row.sharded === 1,
    shardsSize: row.shards_size,
    tlsEnabled: row.tls_enabled === 1,
    agentVersion: row.agent_version,
    dbSizeBytes: row.db_size_bytes === null ? null : Number(row.db_size_bytes),
    oplogSizeMB: row.oplog_size_mb,
  };
}

/** The row's columns of the Deployment; the sealed connection string is written only on its own. */
function toDeploymentRow(d: Deployment): Omit<DeploymentRow, 'connection_string'> {
  return {
    id: d.id,
    project_id: d.projectId,
    name: d.name,
    mongodb_version: d.mongoDBVersion,
    feature_compatibility_version: d.featureCompatibilityVersion,
    managed: d.managed ? 1 : 0,
    sharded: d.sharded ? 1 : 0,
    shards_size: d.shardsSize,
    tls_enabled: d.tlsEnabled ? 1 : 0,
    agent_version: d.agentVersion,
    db_size_bytes: d.dbSizeBytes,
    oplog_size_mb: d.oplogSizeMB,
  };
}
