import type { SecretBox } from '../../crypto/secret-box.js';
import { apiErrors } from '../../http/api-error.js';
import type { WriteTransaction } from '../../persistence/write-transaction.js';
import { connectionStringWithoutCredentials, maskedConnectionString } from '../../shared/connection-string.js';
import { newObjectId } from '../../shared/ids.js';
import type { OrganizationService } from '../organizations/organization-service.js';
import { checkedConnectionString, isUniqueViolation } from '../organizations/organization-service.js';
import { isMongoDBVersion } from '../organizations/organization.js';
import { CLUSTER_NAME_PATTERN, type Cluster, type ClusterDescription, type ClusterProbe } from './cluster.js';
import type { ClusterStore, StoredCluster } from './cluster-store.js';

/** What the cluster service uses in a write transaction. */
export interface ClusterWrites {
  clusters: ClusterStore;
}

/** What creating a cluster takes: its version is read from the server unless given (an offline set-up). */
export interface NewClusterInput {
  name: string;
  connectionString: string;
  /** Given only to skip the buildInfo check; then stored as is. */
  mongoDBVersion?: string;
  /** The id to give the cluster (a fixture's), else a new one. */
  id?: string;
}

/**
 * The target's destination clusters: an Atlas project's clusters, each a real MongoDB server reached by
 * a connection string that is sealed at rest, bound to its row, and shown only without its credentials
 * (the API) or with its password masked (the CLI). Only `connectionString()` opens it, for the job a
 * migration host is given.
 */
export class ClusterService {
  constructor(
    private readonly store: ClusterStore,
    private readonly transaction: WriteTransaction<ClusterWrites>,
    private readonly projects: Pick<OrganizationService, 'getProject'>,
    private readonly secretBox: Pick<SecretBox, 'seal' | 'open' | 'isStale'>,
    /** Asks a server for its version when a cluster is created. */
    private readonly probe: ClusterProbe,
    private readonly now: () => Date,
  ) {}

  /**
   * Creates a cluster in project `groupId`. Unless `mongoDBVersion` is given, the server is asked for its
   * version first, and a server that does not answer is refused (ClusterUnreachableError): nothing is stored.
   */
  async create(groupId: string, input: NewClusterInput): Promise<ClusterDescription> {
    if ((await this.projects.getProject(groupId)) === undefined) throw apiErrors.groupNotFound(groupId);
    const name = checkClusterName(input.name);
    await checkedConnectionString(input.connectionString);
    if (input.mongoDBVersion !== undefined) checkVersion(input.mongoDBVersion);
    // Before the probe, which may take seconds: the unique key below still decides a race.
    if ((await this.store.findByName(groupId, name)) !== undefined) throw apiErrors.duplicateClusterNameInGroup(name, groupId);
    const mongoDBVersion = input.mongoDBVersion ?? (await this.probe(input.connectionString)).mongoDBVersion;
    const cluster: Cluster = {
      id: input.id ?? newObjectId(this.now()),
      groupId,
      name,
      mongoDBVersion,
      createdAt: this.now().toISOString(),
    };
    const sealed = this.secretBox.seal(input.connectionString, clusterBinding(cluster));
    try {
      await this.transaction(({ clusters }) => clusters.create(cluster, sealed));
    } catch (error) {
      if (isUniqueViolation(error)) throw apiErrors.duplicateClusterNameInGroup(name, groupId);
      throw error;
    }
    return describe(cluster, input.connectionString);
  }

  /** The project's clusters by name, with what may be shown of their connection strings. */
  async list(groupId: string): Promise<ClusterDescription[]> {
    if ((await this.projects.getProject(groupId)) === undefined) throw apiErrors.groupNotFound(groupId);
    const stored = await this.store.list(groupId);
    return Promise.all(stored.map((entry) => describe(entry.cluster, this.#open(entry))));
  }

  async describe(groupId: string, name: string): Promise<ClusterDescription | undefined> {
    const stored = await this.store.findByName(groupId, name);
    return stored && describe(stored.cluster, this.#open(stored));
  }

  async findByName(groupId: string, name: string): Promise<Cluster | undefined> {
    return (await this.store.findByName(groupId, name))?.cluster;
  }

  /**
   * The cluster's connection string in clear, credentials included: only for the job a migration host is
   * given, which must connect with it. Undefined for an unknown cluster.
   */
  async connectionString(clusterId: string): Promise<string | undefined> {
    const stored = await this.store.get(clusterId);
    return stored && this.#open(stored);
  }

  async get(id: string): Promise<Cluster | undefined> {
    return (await this.store.get(id))?.cluster;
  }

  /**
   * Points the cluster at another server (or the same with other credentials). Unless `mongoDBVersion` is
   * given, the server is asked for it first, as at creation.
   */
  async update(groupId: string, name: string, input: Omit<NewClusterInput, 'name' | 'id'>): Promise<ClusterDescription> {
    await checkedConnectionString(input.connectionString);
    if (input.mongoDBVersion !== undefined) checkVersion(input.mongoDBVersion);
    const stored = await this.store.findByName(groupId, name);
    if (stored === undefined) throw apiErrors.clusterNotFoundInGroup(name, groupId);
    const mongoDBVersion = input.mongoDBVersion ?? (await this.probe(input.connectionString)).mongoDBVersion;
    const sealed = this.secretBox.seal(input.connectionString, clusterBinding(stored.cluster));
    if (!(await this.transaction(({ clusters }) => clusters.update(stored.cluster.id, mongoDBVersion, sealed)))) {
      throw apiErrors.clusterNotFoundInGroup(name, groupId);
    }
    return describe({ ...stored.cluster, mongoDBVersion }, input.connectionString);
  }

  async delete(groupId: string, name: string): Promise<void> {
    if ((await this.projects.getProject(groupId)) === undefined) throw apiErrors.groupNotFound(groupId);
    if (!(await this.transaction(({ clusters }) => clusters.delete(groupId, name)))) throw apiErrors.clusterNotFoundInGroup(name, groupId);
  }

  /** Re-seals every connection string sealed with an older key (see ApiKeyService.resealSecrets). */
  async resealConnectionStrings(): Promise<number> {
    let resealed = 0;
    for (const { id, groupId, sealed } of await this.store.sealedConnectionStrings()) {
      if (!this.secretBox.isStale(sealed)) continue;
      const binding = clusterBinding({ id, groupId });
      const fresh = this.secretBox.seal(this.secretBox.open(sealed, binding), binding);
      if (await this.transaction(({ clusters }) => clusters.replaceSealedConnectionString(id, sealed, fresh))) resealed += 1;
    }
    return resealed;
  }

  #open(stored: StoredCluster): string {
    return this.secretBox.open(stored.sealedConnectionString, clusterBinding(stored.cluster));
  }
}

async function describe(cluster: Cluster, connectionString: string): Promise<ClusterDescription> {
  return {
    cluster,
    standardConnectionString: await connectionStringWithoutCredentials(connectionString),
    maskedConnectionString: await maskedConnectionString(connectionString),
  };
}

/** A sealed connection string opens only in the row it was sealed for. */
function clusterBinding(cluster: Pick<Cluster, 'id' | 'groupId'>): string {
  return `clusters|${cluster.id}|${cluster.groupId}`;
}

function checkClusterName(name: string): string {
  if (!CLUSTER_NAME_PATTERN.test(name)) {
    throw apiErrors.invalidAttribute(
      'name',
      'a cluster name has 1 to 64 letters, digits and hyphens, and neither starts nor ends with a hyphen.',
    );
  }
  return name;
}

function checkVersion(value: string): void {
  if (!isMongoDBVersion(value)) throw apiErrors.invalidAttribute('mongoDBVersion', 'a version looks like 8.0.4.');
}
