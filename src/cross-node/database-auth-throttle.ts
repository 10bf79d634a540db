import { sql } from 'kysely';
import { DEFAULT_THROTTLE_POLICY, pairOf, secondsUntil, type ThrottlePolicy } from '../http/auth-throttle.js';
import type { AuthFailureThrottle } from '../http/digest/digest-authenticator.js';
import type { Db } from '../persistence/database.js';

/** How old a right answer's throttle check may be. */
const RECENT_MS = 1000;
const MAX_RECENT_PAIRS = 100_000;

/**
 * The failed-answer throttle shared by every node of one database (D-22): one atomic upsert counts a
 * failure, restarts an expired window and sets the block, so failures alternating between nodes trip
 * the limit at the same count as on one node.
 *
 * A right answer may be checked against what the database said at most RECENT_MS ago (the authenticator
 * asks `recent` only for those): a client that authenticates on every request then costs no round trip
 * here. That cannot help a guesser: a wrong answer always reads the exact count, and a pair's cached
 * answer is dropped at each failure this node records, so a cached answer exists only for a pair that has
 * answered right lately — the key's holder. What it allows is a block set by another node taking up to
 * RECENT_MS to stop a pair that this node just saw answer right (a key revoked elsewhere likewise takes
 * up to the key cache's second).
 */
export class DatabaseAuthFailureThrottle implements AuthFailureThrottle {
  #lastSweep = 0;
  readonly #recent = new Map<string, { blockedUntilMs: number; readAtMs: number }>();

  constructor(
    private readonly db: Db,
    private readonly policy: ThrottlePolicy = DEFAULT_THROTTLE_POLICY,
    private readonly now: () => number = Date.now,
  ) {}

  async retryAfterSeconds(publicKey: string, address: string, options?: { recent: boolean }): Promise<number> {
    const pair = pairOf(publicKey, address);
    const now = this.now();
    if (options?.recent === true) {
      const known = this.#recent.get(pair);
      if (known !== undefined && now - known.readAtMs < RECENT_MS && known.readAtMs <= now) return secondsUntil(known.blockedUntilMs, now);
    }
    const row = await this.db
      .selectFrom('auth_failures')
      .select('blocked_until_ms')
      .where('public_key', '=', publicKey.slice(0, 64))
      .where('address', '=', address)
      .executeTakeFirst();
    const blockedUntilMs = row === undefined ? 0 : Number(row.blocked_until_ms);
    if (options?.recent === true) {
      // Bounded: entries live a second, so clearing at the cap costs at most one round trip per pair.
      if (this.#recent.size >= MAX_RECENT_PAIRS) this.#recent.clear();
      this.#recent.set(pair, { blockedUntilMs, readAtMs: now });
    }
    return secondsUntil(blockedUntilMs, this.now());
  }

  async recordFailure(publicKey: string, address: string): Promise<void> {
    this.#recent.delete(pairOf(publicKey, address));
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
