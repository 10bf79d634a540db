import { apiErrors } from '../../http/api-error.js';
import { newObjectId } from '../../shared/ids.js';
import type { WriteTransaction } from '../../persistence/write-transaction.js';
import { isUniqueViolation, type OrganizationService } from '../organizations/organization-service.js';
import { hashPassword, UNKNOWN_USER_HASH, verifyPassword } from './password-hash.js';
import { canonicalUsername, USER_ROLES, USERNAME_PATTERN, isUserRole, type User } from './user.js';
import type { UserStore } from './user-store.js';

/** What the user service uses in a write transaction. */
export interface UserWrites {
  users: UserStore;
}

export interface NewUser {
  orgId: string;
  username: string;
  role: string;
  password: string;
  /** The id to give the user (a fixture's), else a new one. */
  id?: string;
}

export const MIN_PASSWORD_LENGTH = 8;
/** scrypt takes any length; a cap keeps a request body from being a password of megabytes. */
export const MAX_PASSWORD_LENGTH = 256;

/** Users of the web pages: creation with a scrypt hash, verification of a sign-in, listing. */
export class UserService {
  constructor(
    private readonly store: UserStore,
    private readonly transaction: WriteTransaction<UserWrites>,
    private readonly organizations: Pick<OrganizationService, 'getOrganization'>,
    private readonly now: () => Date,
  ) {}

  async create(request: NewUser): Promise<User> {
    const username = canonicalUsername(request.username);
    if (!USERNAME_PATTERN.test(username)) {
      throw apiErrors.invalidAttribute(
        'username',
        'a username has 1 to 50 characters: letters, digits, dots, underscores, @ and hyphens, starting with a letter or digit.',
      );
    }
    if (!isUserRole(request.role)) throw apiErrors.invalidAttribute('role', `a user's role is one of ${USER_ROLES.join(', ')}.`);
    checkPassword(request.password);
    if ((await this.organizations.getOrganization(request.orgId)) === undefined) throw apiErrors.orgNotFound(request.orgId);
    const user: User = {
      id: request.id ?? newObjectId(this.now()),
      orgId: request.orgId,
      username,
      role: request.role,
      createdAt: this.now().toISOString(),
    };
    const passwordHash = await hashPassword(request.password);
    try {
      await this.transaction(({ users }) => users.create(user, passwordHash));
    } catch (error) {
      if (isUniqueViolation(error)) throw apiErrors.userAlreadyExists(username);
      throw error;
    }
    return user;
  }

  /** The user when the password is theirs; undefined otherwise (an unknown username costs the same time). */
  async verify(username: string, password: string): Promise<User | undefined> {
    const stored = await this.store.findByUsername(canonicalUsername(username));
    const candidate = password.length > MAX_PASSWORD_LENGTH ? '' : password;
    const matches = await verifyPassword(candidate, stored?.passwordHash ?? UNKNOWN_USER_HASH);
    return matches && stored !== undefined && candidate === password ? stored.user : undefined;
  }

  async setPassword(userId: string, password: string): Promise<void> {
    checkPassword(password);
    const passwordHash = await hashPassword(password);
    if (!(await this.transaction(({ users }) => users.setPasswordHash(userId, passwordHash)))) throw apiErrors.userNotFound(userId);
  }

  async setRole(userId: string, role: string): Promise<void> {
    if (!isUserRole(role)) throw apiErrors.invalidAttribute('role', `a user's role is one of ${USER_ROLES.join(', ')}.`);
    if (!(await this.transaction(({ users }) => users.setRole(userId, role)))) throw apiErrors.userNotFound(userId);
  }

  get(id: string): Promise<User | undefined> {
    return this.store.get(id);
  }

  async findByUsername(username: string): Promise<User | undefined> {
    return (await this.store.findByUsername(canonicalUsername(username)))?.user;
  }

  list(orgId: string): Promise<User[]> {
    return this.store.list(orgId);
  }
}

function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
    throw apiErrors.invalidAttribute('password', `a password has ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters.`);
  }
}
