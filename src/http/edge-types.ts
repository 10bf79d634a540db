/**
 * What the edge must know of an API key, an organization and a project to enforce a route's access, and
 * nothing more. The features' own types carry these fields and more; the composition root hands the edge
 * the features' lookups and role check (HttpServerOptions), so the edge never imports a feature, and a
 * route's handler still gets the features' own types (RouteContext).
 */

export interface EdgeKey {
  publicKey: string;
  /** The key's organization; null for a global key. */
  orgId: string | null;
  /** The addresses and CIDR blocks the key may call from; empty for anywhere. */
  accessList: readonly string[];
}

export interface EdgeOrganization {
  id: string;
  /** Ops Manager's "Require IP Access List for Public API": a key without an access list is refused. */
  requireAccessList: boolean;
}

export interface EdgeProject {
  id: string;
  orgId: string;
}

/** The domain types one route table is written against: the features bind livelink's own. */
export interface EdgeTypes {
  key: EdgeKey;
  organization: EdgeOrganization;
  project: EdgeProject;
  /** What a route may demand of a key. */
  role: string;
}

/** Where the edge reads the organization or project a route names. */
export interface AccessDirectory<T extends EdgeTypes> {
  getOrganization(id: string): Promise<T['organization'] | undefined>;
  getProject(id: string): Promise<T['project'] | undefined>;
}

/** May `key` act with `requirement` on organization `orgId` (undefined for a route outside any organization)? */
export type RoleCheck<T extends EdgeTypes> = (key: T['key'], requirement: T['role'], orgId: string | undefined) => boolean;
