import { sql } from 'kysely';
import { DEFAULT_THROTTLE_POLICY, secondsUntil, type ThrottlePolicy } from '../http/auth-throttle.js';
import type { AuthFailureThrottle } from '../http/digest/digest-authenticator.js';
import type { Db } from '../persistence/database.js';

/**
 * The failed-answer throttle shared by every node of one database (D-22): one atomic upsert counts a
 * failure, restarts an expired window and sets the block, so failures alternating between nodes trip
 * the limit at the same count as on one node.
 */
export class DatabaseAuthFailureThrottle implements AuthFailureThrottle {
  #lastSweep = 0;

  constructor(
    private readonly db: Db,
    private readonly policy: ThrottlePolicy = DEFAULT_THROTTLE_POLICY,
    private readonly now: () => number = Date.now,
  ) {}

  async retryAfterSeconds(publicKey: string, address: string): Promise<number> {
    const row = await this.db
      .selectFrom('auth_failures')
      .select('blocked_until_ms')
      .where('public_key', '=', publicKey.slice(0, 64))
      .where('address', '=', address)
      .executeTakeFirst();
    return row === undefined ? 0 : secondsUntil(Number(row.blocked_until_ms), this.now());
  }

  async recordFailure(publicKey: string, address: string): Promise<void> {
    const now = this.now();
    const { maxFailures, windowMs, blockMs } = this.policy;
    const windowOver = sql<boolean>`${now} - auth_failures.window_start_ms > ${windowMs}`;
    const failures = sql<number>`case when ${windowOver} then 1 else auth_failures.failures + 1 end`;
    await this.db
      .insertInto('auth_failures')
      .values({
        public_key: publicKey.slice(0, 64),
        address,
        window_start_ms: now,
        failures: 1,
        blocked_until_ms: maxFailures <= 1 ? now + blockMs : 0,
      })
      .onConflict((oc) =>
        oc.columns(['public_key', 'address']).doUpdateSet({
          window_start_ms: sql`case when ${windowOver} then ${now} else auth_failures.window_start_ms end`,
          failures,
          blocked_until_ms: sql`case when ${failures} >= ${maxFailures} then ${now + blockMs} else auth_failures.blocked_until_ms end`,
        }),
      )
      .execute();
    if (now - this.#lastSweep > windowMs) {
      this.#lastSweep = now;
      await this.db
        .deleteFrom('auth_failures')
        .where('blocked_until_ms', '<', now)
        .where('window_start_ms', '<', now - windowMs)
        .execute();
    }
  }
}
