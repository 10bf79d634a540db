import type { Db } from '../../persistence/database.js';
import type { UserRow } from '../../persistence/schema.js';
import { isUserRole, type User, type UserRole } from './user.js';
import type { StoredUser, UserStore } from './user-store.js';

/** UserStore on Kysely: one implementation for SQLite and PostgreSQL. */
export class UserKyselyStore implements UserStore {
  constructor(private readonly db: Db) {}

  async create(user: User, passwordHash: string): Promise<void> {
    await this.db
      .insertInto('users')
      .values({
        id: user.id,
        org_id: user.orgId,
        username: user.username,
        role: user.role,
        password_hash: passwordHash,
        created_at: user.createdAt,
      })
      .execute();
  }

  async get(id: string): Promise<User | undefined> {
    const row = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toUser(row);
  }

  async findByUsername(username: string): Promise<StoredUser | undefined> {
    const row = await this.db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
    return row && { user: toUser(row), passwordHash: row.password_hash };
  }

  async list(orgId: string): Promise<User[]> {
    const rows = await this.db.selectFrom('users').selectAll().where('org_id', '=', orgId).orderBy('username').execute();
    return rows.map(toUser);
  }

  async setPasswordHash(id: string, passwordHash: string): Promise<boolean> {
    const result = await this.db.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', id).executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async setRole(id: string, role: UserRole): Promise<boolean> {
    const result = await this.db.updateTable('users').set({ role }).where('id', '=', id).executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
}

function toUser(row: UserRow): User {
  // A role outside the user roles can only come from a hand-edited row; it gets the least power.
  return {
    id: row.id,
    orgId: row.org_id,
    username: row.username,
    role: isUserRole(row.role) ? row.role : 'ORG_READ_ONLY',
    createdAt: row.created_at,
  };
}
