import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { EPOCH_HEX } from '../http/digest/nonce.js';
import { MemoryReplayGuard, type ReplayGuard, type ReplayVerdict } from '../http/digest/replay-guard.js';
import type { Db } from '../persistence/database.js';

/** A claim row whose nonce is this prefix and an epoch is that epoch's own row: it never expires. */
const EPOCH_ROW_PREFIX = 'epoch:';
/** Past any nonce's expiry, and below 2^53 so that it reads back as the same JavaScript number. */
const NEVER_MS = Number.MAX_SAFE_INTEGER;

/**
 * Replay protection shared by every node of one database, at one round trip per fresh nonce and none per
 * re-used one, with no durable commit.
 *
 * Ownership. The first node to answer a nonce claims it whole: one insert into `digest_nonce_claims`,
 * which the primary key lets exactly one node win. The winner keeps the nonce's (nonce, nc) pairs in its
 * memory (a MemoryReplayGuard), so a client that re-uses its nonce (Python requests) costs that node no
 * database work. Any other node, and a later process of the same node, loses the insert and answers the
 * nonce `stale`: the client takes a fresh nonce and retries, and a replayed header is refused everywhere
 * — on the owner by its memory, elsewhere because the claim is taken.
 *
 * Epochs. On PostgreSQL the table is UNLOGGED: an insert writes no WAL, so its commit waits for no flush.
 * The price is that PostgreSQL empties the table when it recovers from a crash (it does not on a clean
 * shutdown). Were that all, a header answered before the crash could be answered again after it. So the
 * table also holds one row per epoch (`epoch:` and EPOCH_HEX hex), and a nonce carries, under its MAC, the
 * epoch it was minted in: a claim succeeds only while its epoch's row exists — checked in the same
 * statement as the insert. The epoch rows and the claims are rows of one table, so whatever empties one
 * empties the other: a crash (or a failover to a replica, whose unlogged tables are empty) takes the
 * epoch with every claim made in it, and every nonce minted before becomes stale at that instant. The
 * node then finds or starts a new epoch and mints in it. A new epoch is random; one equal to a lost one
 * (2^-32 per loss) would let a lost epoch's headers be answered once more.
 */
export class DatabaseReplayGuard implements ReplayGuard {
  #lastSweep = 0;
  #epoch: string | undefined;
  #refreshing: Promise<void> | undefined;
  /** The nonces this process owns, and their pairs. */
  readonly #owned: MemoryReplayGuard;
  /** Claims in flight, so that two answers of one nonce on this node do not race each other for it. */
  readonly #pending = new Map<string, Promise<boolean>>();

  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
    private readonly sweepEveryMs = 30_000,
  ) {
    this.#owned = new MemoryReplayGuard({ now });
  }

  /** Finds the database's epoch, or starts one: before the first nonce is minted. */
  async start(): Promise<void> {
    await this.#refreshEpoch();
  }

  currentEpoch(): string {
    if (this.#epoch === undefined) throw new Error('the replay guard has not started');
    return this.#epoch;
  }

  async claim(nonce: string, epoch: string, nc: string, expiresAtMs: number): Promise<ReplayVerdict> {
    if (!this.#owned.holds(nonce)) {
      let pending = this.#pending.get(nonce);
      if (pending === undefined) {
        pending = this.#claimNonce(nonce, epoch, expiresAtMs).finally(() => this.#pending.delete(nonce));
        this.#pending.set(nonce, pending);
      }
      if (!(await pending)) return 'stale';
    }
    return (await this.#owned.firstUse(nonce, nc, expiresAtMs)) ? 'first' : 'replay';
  }

  /** True when this process now owns the nonce. */
  async #claimNonce(nonce: string, epoch: string, expiresAtMs: number): Promise<boolean> {
    const epochRow = EPOCH_ROW_PREFIX + epoch;
    // One statement: the insert happens only while the epoch's row exists, and the primary key lets one
    // insert win. cast(), not ::, so that the contract suite runs the same statement on SQLite.
    const inserted = await sql<{ nonce: string }>`
      insert into digest_nonce_claims (nonce, expires_at_ms)
      select cast(${nonce} as text), cast(${expiresAtMs} as bigint)
      where exists (select 1 from digest_nonce_claims where nonce = ${epochRow})
      on conflict (nonce) do nothing
      returning nonce`.execute(this.db);
    this.#maybeSweep();
    if (inserted.rows.length === 1) return true;
    // Lost: to another owner, or to a lost epoch. Only the second needs the node to move on.
    if (epoch === this.#epoch) {
      const live = await this.db.selectFrom('digest_nonce_claims').select('nonce').where('nonce', '=', epochRow).executeTakeFirst();
      // Waited for, so that the challenge answering this request already carries the new epoch.
      if (live === undefined) await this.#refreshEpoch();
    }
    return false;
  }

  #refreshEpoch(): Promise<void> {
    this.#refreshing ??= this.#findOrStartEpoch().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  /** Any live epoch will do: the nodes converge on the first that exists, and start one when none does. */
  async #findOrStartEpoch(): Promise<void> {
    const epochRows = () =>
      this.db
        .selectFrom('digest_nonce_claims')
        .select('nonce')
        // The rows that start with 'epoch:', as a range of the primary key (';' follows ':').
        .where('nonce', '>=', EPOCH_ROW_PREFIX)
        .where('nonce', '<', 'epoch;')
        .orderBy('nonce')
        .limit(1)
        .executeTakeFirst();
    let row = await epochRows();
    if (row === undefined) {
      const fresh = EPOCH_ROW_PREFIX + randomBytes(EPOCH_HEX / 2).toString('hex');
      await this.db
        .insertInto('digest_nonce_claims')
        .values({ nonce: fresh, expires_at_ms: NEVER_MS })
        .onConflict((oc) => oc.column('nonce').doNothing())
        .execute();
      row = await epochRows();
    }
    if (row === undefined) throw new Error('no replay epoch could be started');
    this.#epoch = row.nonce.slice(EPOCH_ROW_PREFIX.length);
  }

  #maybeSweep(): void {
    const now = this.now();
    if (now - this.#lastSweep < this.sweepEveryMs) return;
    this.#lastSweep = now;
    void this.db
      .deleteFrom('digest_nonce_claims')
      .where('expires_at_ms', '<', now)
      .execute()
      .catch(() => {
        // A failed sweep is retried on the next one; the rows are harmless meanwhile.
      });
  }
}
