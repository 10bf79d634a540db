import type { Cluster } from './cluster.js';

/** A cluster with its connection string as stored: sealed, bound to the row; only the service opens it. */
export interface StoredCluster {
  cluster: Cluster;
  sealedConnectionString: string;
}

/**
 * Storage of the target's destination clusters. Names are unique in a project (a second one is the
 * database's unique-key violation). Absent records are `undefined` (or `false` for a change), never an error.
 */
export interface ClusterStore {
  create(cluster: Cluster, sealedConnectionString: string): Promise<void>;
  get(id: string): Promise<StoredCluster | undefined>;
  findByName(groupId: string, name: string): Promise<StoredCluster | undefined>;
  /** The project's clusters by name. */
  list(groupId: string): Promise<StoredCluster[]>;
  delete(groupId: string, name: string): Promise<boolean>;
  /** Points the cluster at another server: its version and sealed connection string. False when there is no such cluster. */
  update(id: string, mongoDBVersion: string, sealedConnectionString: string): Promise<boolean>;
  /** Every cluster's sealed connection string, for re-sealing under a new key. */
  sealedConnectionStrings(): Promise<{ id: string; groupId: string; sealed: string }[]>;
  /** Replaces the sealed connection string if it is still `current`; false when it changed meanwhile. */
  replaceSealedConnectionString(id: string, current: string, fresh: string): Promise<boolean>;
}
