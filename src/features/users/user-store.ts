import type { User, UserRole } from './user.js';

/** A user with the stored password hash (read only by the UserService, to verify a password). */
export interface StoredUser {
  user: User;
  passwordHash: string;
}

/**
 * Storage of users. `findByUsername` takes the canonical (lower-case) username; absent users are
 * `undefined`, never an error.
 */
export interface UserStore {
  create(user: User, passwordHash: string): Promise<void>;
  get(id: string): Promise<User | undefined>;
  findByUsername(username: string): Promise<StoredUser | undefined>;
  list(orgId: string): Promise<User[]>;
  setPasswordHash(id: string, passwordHash: string): Promise<boolean>;
  /** False when there is no such user. */
  setRole(id: string, role: UserRole): Promise<boolean>;
}
