/**
 * Domain types of the target's destination clusters: an Atlas project's clusters, each a real MongoDB
 * server that a live migration copies into, reached by a connection string the target keeps sealed.
 */

/** A destination cluster as the other features see it: never its connection string. */
export interface Cluster {
  id: string;
  /** The Atlas project that holds it. */
  groupId: string;
  /** Unique in the project. */
  name: string;
  /** As the server's buildInfo reported it when the cluster was created (or as given for an offline set-up). */
  mongoDBVersion: string;
  createdAt: string;
}

/** A cluster with what may be shown of its connection string. */
export interface ClusterDescription {
  cluster: Cluster;
  /** The connection string without credentials: Atlas's `connectionStrings.standard`. */
  standardConnectionString: string;
  /** The connection string with its password masked as ****: what the CLI shows. */
  maskedConnectionString: string;
}

/** What a server said about itself when asked (buildInfo). */
export interface ServerFacts {
  mongoDBVersion: string;
}

/** Asks the server at a connection string for its facts; throws ClusterUnreachableError when it cannot. */
export type ClusterProbe = (connectionString: string) => Promise<ServerFacts>;

/** The server at a connection string did not answer; the message names why, never a credential. */
export class ClusterUnreachableError extends Error {
  override readonly name = 'ClusterUnreachableError';
}

/** Atlas's cluster names: letters, digits and hyphens, not starting or ending with a hyphen, at most 64. */
export const CLUSTER_NAME_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?$/;

/** Atlas's `mongoDBMajorVersion` of a version: its first two parts (8.0.4 → 8.0). */
export function majorVersionOf(version: string): string {
  const match = /^(\d+)\.(\d+)/.exec(version);
  return match === null ? version : `${match[1]}.${match[2]}`;
}
