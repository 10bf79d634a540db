import type { Db } from '../../persistence/database.js';
import type { SessionStore, WebSession } from './session-store.js';

/** Sessions in the database (SQLite or the PostgreSQL every node shares), so any node serves any session. */
export class SessionKyselyStore implements SessionStore {
  constructor(private readonly db: Db) {}

  async insert(idHash: string, session: WebSession): Promise<void> {
    await this.db
      .insertInto('web_sessions')
      .values({
        id_hash: idHash,
        user_id: session.userId,
        csrf_token: session.csrfToken,
        created_at_ms: session.createdAtMs,
        expires_at_ms: session.expiresAtMs,
      })
      .execute();
  }

  async find(idHash: string): Promise<WebSession | undefined> {
    const row = await this.db.selectFrom('web_sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
    return (
      row && {
        userId: row.user_id,
        csrfToken: row.csrf_token,
        createdAtMs: Number(row.created_at_ms),
        expiresAtMs: Number(row.expires_at_ms),
      }
    );
  }

  async setExpiry(idHash: string, expiresAtMs: number): Promise<void> {
    await this.db.updateTable('web_sessions').set({ expires_at_ms: expiresAtMs }).where('id_hash', '=', idHash).execute();
  }

  async delete(idHash: string): Promise<void> {
    await this.db.deleteFrom('web_sessions').where('id_hash', '=', idHash).execute();
  }

  async deleteExpired(nowMs: number): Promise<void> {
    await this.db.deleteFrom('web_sessions').where('expires_at_ms', '<', nowMs).execute();
  }
}
