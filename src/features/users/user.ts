import { keyMeetsRequirement, type OrgRole, type RoleRequirement } from '../api-keys/api-key.js';

/**
 * A person who signs in to the web pages. Like an Ops Manager user in this project's scope, a user
 * belongs to one organization with one of the organization roles API keys have.
 */
export interface User {
  id: string;
  orgId: string;
  /** Lower case, unique across organizations: a person signs in with it alone. */
  username: string;
  role: UserRole;
  createdAt: string;
}

/**
 * The organization roles of api-key.ts, less ORG_LIVE_MIGRATION_LINK: that one exists only for the key
 * embedded in a link-token and admits nothing a person does.
 */
export const USER_ROLES = ['ORG_OWNER', 'ORG_MEMBER', 'ORG_READ_ONLY'] as const satisfies readonly OrgRole[];

export type UserRole = (typeof USER_ROLES)[number];

export function isUserRole(value: string): value is UserRole {
  return (USER_ROLES as readonly string[]).includes(value);
}

/** Usernames as people type them, checked once so the store and the throttle see one spelling. */
export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._@-]{0,49}$/;

export function canonicalUsername(input: string): string {
  return input.trim().toLowerCase();
}

/** Words for a role, as the Ops Manager UI names them. */
export function roleLabel(role: UserRole): string {
  switch (role) {
    case 'ORG_OWNER':
      return 'Organization Owner';
    case 'ORG_MEMBER':
      return 'Organization Member';
    case 'ORG_READ_ONLY':
      return 'Organization Read Only';
  }
}

/**
 * May `user` act with `requirement` on organization `orgId`? The same admission table as API keys: a user
 * is judged exactly as a key of its organization holding its one role would be.
 */
export function userMeetsRequirement(user: User, requirement: RoleRequirement, orgId: string): boolean {
  return keyMeetsRequirement(
    { id: user.id, publicKey: '', orgId: user.orgId, description: '', roles: [user.role], accessList: [], createdAt: user.createdAt },
    requirement,
    orgId,
  );
}
