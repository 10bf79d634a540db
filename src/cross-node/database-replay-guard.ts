import type { ReplayGuard } from '../http/digest/replay-guard.js';
import type { Db } from '../persistence/database.js';

/**
 * Replay protection shared by every node of one database: the first node to insert (nonce, nc) wins,
 * atomically, through the primary key. Expired pairs are deleted in the background of later inserts
 * (at most once per `sweepEveryMs`), so the table stays as small as the traffic of one nonce lifetime.
 */
export class DatabaseReplayGuard implements ReplayGuard {
  #lastSweep = 0;

  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
    private readonly sweepEveryMs = 30_000,
  ) {}

  async firstUse(nonce: string, nc: string, expiresAtMs: number): Promise<boolean> {
    const result = await this.db
      .insertInto('digest_replays')
      .values({ nonce, nc, expires_at_ms: expiresAtMs })
      .onConflict((oc) => oc.columns(['nonce', 'nc']).doNothing())
      .executeTakeFirst();
    this.#maybeSweep();
    return result.numInsertedOrUpdatedRows === 1n;
  }

  #maybeSweep(): void {
    const now = this.now();
    if (now - this.#lastSweep < this.sweepEveryMs) return;
    this.#lastSweep = now;
    void this.db
      .deleteFrom('digest_replays')
      .where('expires_at_ms', '<', now)
      .execute()
      .catch(() => {
        // A failed sweep is retried on the next one; the rows are harmless meanwhile.
      });
  }
}
