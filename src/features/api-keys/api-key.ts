/**
 * Programmatic API keys as Ops Manager issues them: an 8-letter public key, a UUID private key shown
 * once, roles in one organization (or global roles for administration), and an IP access list.
 */

export const ORG_ROLES = ['ORG_OWNER', 'ORG_MEMBER', 'ORG_READ_ONLY', 'ORG_LIVE_MIGRATION_LINK'] as const;
export const GLOBAL_ROLES = ['GLOBAL_OWNER', 'GLOBAL_READ_ONLY'] as const;

/**
 * The role of a migration host's own key. Only `livelink migration-host add` makes one (never `apikey
 * create`, so it is not among ORG_ROLES): bound to one host row, it admits that host's job routes alone.
 */
export const MIGRATION_HOST_ROLE = 'ORG_MIGRATION_HOST';

/**
 * The shape of keys a caller may give (a fixture's): Ops Manager's public keys are 8 lower-case letters
 * and its private keys UUIDs; digits and up to 64 characters are let through for keys from elsewhere.
 */
export const PUBLIC_KEY_PATTERN = /^[a-z0-9]{8,64}$/;
export const PUBLIC_KEY_SHAPE = 'a public key has 8 to 64 lower-case letters and digits, like abcdefgh.';
export const PRIVATE_KEY_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
export const PRIVATE_KEY_SHAPE = 'a private key is a UUID, like 8f14e45f-ceea-467f-a8f9-0a5c8e3f1b2d.';

export type OrgRole = (typeof ORG_ROLES)[number];
export type GlobalRole = (typeof GLOBAL_ROLES)[number];
export type Role = OrgRole | GlobalRole | typeof MIGRATION_HOST_ROLE;

export interface ApiKey {
  id: string;
  publicKey: string;
  /** The organization the key belongs to; null for a global key. */
  orgId: string | null;
  description: string;
  roles: Role[];
  accessList: string[];
  createdAt: string;
}

export function isRole(value: string): value is Role {
  return (
    (ORG_ROLES as readonly string[]).includes(value) || (GLOBAL_ROLES as readonly string[]).includes(value) || value === MIGRATION_HOST_ROLE
  );
}

export function isGlobalRole(role: Role): role is GlobalRole {
  return (GLOBAL_ROLES as readonly string[]).includes(role);
}

/**
 * What a route may demand. Each level admits the roles above it: an Organization Owner may do what a
 * Member may, a Member what Read Only may. `ORG_LIVE_MIGRATION_LINK` is the role of the key embedded in a
 * link-token: it admits nothing but the inventory routes, and no other role admits those. `ORG_MIGRATION_HOST`
 * likewise admits only the migration host's job routes.
 */
export type RoleRequirement =
  'ORG_OWNER' | 'ORG_MEMBER' | 'ORG_READ_ONLY' | 'ORG_LIVE_MIGRATION_LINK' | 'ORG_MIGRATION_HOST' | 'GLOBAL_OWNER' | 'GLOBAL_READ_ONLY';

const ADMITTED: Record<RoleRequirement, readonly Role[]> = {
  ORG_OWNER: ['ORG_OWNER', 'GLOBAL_OWNER'],
  ORG_MEMBER: ['ORG_OWNER', 'ORG_MEMBER', 'GLOBAL_OWNER'],
  ORG_READ_ONLY: ['ORG_OWNER', 'ORG_MEMBER', 'ORG_READ_ONLY', 'GLOBAL_OWNER', 'GLOBAL_READ_ONLY'],
  ORG_LIVE_MIGRATION_LINK: ['ORG_LIVE_MIGRATION_LINK'],
  ORG_MIGRATION_HOST: [MIGRATION_HOST_ROLE],
  GLOBAL_OWNER: ['GLOBAL_OWNER'],
  GLOBAL_READ_ONLY: ['GLOBAL_OWNER', 'GLOBAL_READ_ONLY'],
};

/** May `key` act with `requirement` on organization `orgId` (undefined for routes outside any organization)? */
export function keyMeetsRequirement(key: ApiKey, requirement: RoleRequirement, orgId: string | undefined): boolean {
  const admitted = ADMITTED[requirement];
  return key.roles.some((role) => {
    if (!admitted.includes(role)) return false;
    if (isGlobalRole(role)) return true;
    return orgId !== undefined && key.orgId === orgId;
  });
}
