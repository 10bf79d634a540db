import { CompiledQuery } from 'kysely';
import type { Db, WriteCounts } from './opened-database.js';

/** How many write transactions one commit takes at most, so that a steady stream still gets answered. */
const DEFAULT_MEMBER_LIMIT = 64;

const BEGIN = CompiledQuery.raw('begin immediate');
const COMMIT = CompiledQuery.raw('commit');
const ROLLBACK = CompiledQuery.raw('rollback');
// Members run one after another, never nested in each other: one savepoint name serves them all.
const SAVEPOINT = CompiledQuery.raw('savepoint member');
const RELEASE = CompiledQuery.raw('release member');
const ROLLBACK_TO = CompiledQuery.raw('rollback to member');

interface Member {
  work: (tx: Db) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** What a test may watch: called once a group's COMMIT returned, before any member is answered. */
export interface GroupCommitHooks {
  committed?: (members: number) => void;
}

/**
 * SQLite's write transactions, several to one commit. With synchronous=FULL each COMMIT in WAL mode is an
 * fsync of the WAL, and better-sqlite3 makes it on the event loop's thread: one per transaction made the
 * disk's flush rate the ceiling of every write path. Here the write transactions asked for while a group
 * runs join it: one BEGIN IMMEDIATE, each member in a SAVEPOINT of its own and one after another (a
 * member's statements run only between its SAVEPOINT and RELEASE, so it sees the members before it
 * exactly as if they had committed first), then one COMMIT.
 *
 * What stays as it was: a member that throws is rolled back to its savepoint alone and its caller gets
 * the error, the other members go on; no member is answered before the COMMIT returned, so an
 * acknowledged write is as durable as before; a COMMIT that fails fails every member. Nothing else uses
 * the connection while a group holds it (the driver's lock), so no read sees a member's rows before they
 * are committed.
 *
 * A group takes the members queued when it starts and, once they are done, waits one setImmediate for
 * more (the requests whose I/O arrived meanwhile); it commits when that turn brought none, or at the limit.
 */
export class GroupCommit {
  readonly #pending: Member[] = [];
  #running = false;
  readonly #counts: WriteCounts = { transactions: 0, commits: 0 };

  constructor(
    private readonly db: Db,
    private readonly hooks: GroupCommitHooks = {},
    private readonly memberLimit = DEFAULT_MEMBER_LIMIT,
  ) {}

  /** The write transactions committed and the COMMITs that carried them, since the database was opened. */
  get counts(): Readonly<WriteCounts> {
    return this.#counts;
  }

  run<T>(work: (tx: Db) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.#running) {
        this.#running = true;
        void this.#drain();
      }
    });
  }

  async #drain(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        await this.db.connection().execute((connection) => this.#group(connection));
      }
    } catch (error) {
      // #group never throws, so this is the connection itself refused (the database closed): the members
      // still waiting never ran, and are told, as a transaction on a closed database told its caller.
      for (const member of this.#pending.splice(0)) member.reject(error);
    } finally {
      this.#running = false;
    }
  }

  /** One group, on the pinned connection. Never throws: each member is answered with its outcome. */
  async #group(connection: Db): Promise<void> {
    const members: Member[] = [];
    const outcomes: Outcome[] = [];
    const failAll = (error: unknown): void => {
      for (const member of members) member.reject(error);
    };
    try {
      await connection.executeQuery(BEGIN);
    } catch (error) {
      // Nothing ran: the members waiting now are told, as a failed BEGIN IMMEDIATE told its one caller.
      members.push(...this.#pending.splice(0));
      failAll(error);
      return;
    }
    try {
      for (let member = await this.#next(); member !== undefined; member = await this.#next()) {
        members.push(member);
        outcomes.push(await this.#runMember(connection, member));
        if (members.length >= this.memberLimit) break;
      }
      await connection.executeQuery(COMMIT);
    } catch (error) {
      // A savepoint that could not be undone (SQLite ends the whole transaction on some errors) or a
      // failed COMMIT: nothing of the group is known to be durable, so every member fails.
      await connection.executeQuery(ROLLBACK).catch(() => undefined);
      failAll(error);
      return;
    }
    this.#counts.commits += 1;
    this.#counts.transactions += outcomes.filter((outcome) => outcome.ok).length;
    this.hooks.committed?.(members.length);
    members.forEach((member, i) => {
      const outcome = outcomes[i];
      if (outcome?.ok === true) member.resolve(outcome.value);
      else member.reject(outcome?.error);
    });
  }

  /** The next member: one queued now, or one that arrived within the next turn of the event loop. */
  async #next(): Promise<Member | undefined> {
    const queued = this.#pending.shift();
    if (queued !== undefined) return queued;
    await new Promise((resolve) => setImmediate(resolve));
    return this.#pending.shift();
  }

  /** Runs one member in its savepoint; a member that throws is undone alone. Throws only if that undo fails. */
  async #runMember(connection: Db, member: Member): Promise<Outcome> {
    await connection.executeQuery(SAVEPOINT);
    let outcome: Outcome;
    try {
      outcome = { ok: true, value: await member.work(connection) };
    } catch (error) {
      outcome = { ok: false, error };
      // If SQLite already ended the transaction (it does on some errors), the member's error is what
      // fails the group.
      await connection.executeQuery(ROLLBACK_TO).catch(() => {
        throw error;
      });
    }
    await connection.executeQuery(RELEASE);
    return outcome;
  }
}
