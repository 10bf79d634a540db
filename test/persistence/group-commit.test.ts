/**
 * SQLite's write transactions share commits: those asked for while a group runs join it, each in a
 * savepoint of its own. A member that fails is undone alone; nobody is answered before the COMMIT
 * returned; a COMMIT that fails fails them all.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import { openSqlite, type Db, type OpenedDatabase } from '../../src/persistence/database.js';
import { GroupCommit } from '../../src/persistence/group-commit.js';

describe('group commit on SQLite', () => {
  let dir: string;
  let file: string;
  let database: OpenedDatabase;
  /** Each group's size, in the order their COMMITs returned. */
  const groups: number[] = [];
  /** What happened, in order: a COMMIT returning, a caller answered. */
  const events: string[] = [];
  /** A second connection, as another process would have: it sees only what is committed. */
  let other: SqliteDatabase.Database;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'livelink-group-commit-'));
    file = join(dir, 'livelink.sqlite');
    database = await openSqlite(file, {
      committed: (members) => {
        groups.push(members);
        events.push('commit');
      },
    });
    await sql`create table item (name text primary key)`.execute(database.db);
    await sql`create table parent (id integer primary key)`.execute(database.db);
    // Checked at COMMIT, not at the statement: a way to make a COMMIT fail.
    await sql`create table child (id integer primary key, parent_id integer not null references parent (id) deferrable initially deferred)`.execute(
      database.db,
    );
    other = new SqliteDatabase(file, { readonly: true });
  });

  after(async () => {
    other.close();
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    await database.writeTransaction((tx) => sql`delete from item`.execute(tx));
    groups.length = 0;
    events.length = 0;
  });

  const insert = (tx: Db, name: string) => sql`insert into item (name) values (${name})`.execute(tx);
  const committedNames = () => (other.prepare('select name from item order by name').all() as { name: string }[]).map((row) => row.name);

  it('undoes a throwing member and a UNIQUE violation alone, and commits the other members in one COMMIT', async () => {
    const seenByFourth: string[] = [];
    const countsBefore = { ...database.writeCounts() };
    const outcomes = await Promise.allSettled([
      database.writeTransaction(async (tx) => {
        await insert(tx, 'a');
        return 'first';
      }),
      database.writeTransaction(async (tx) => {
        await insert(tx, 'b');
        throw new Error('changed its mind');
      }),
      database.writeTransaction(async (tx) => {
        await insert(tx, 'e');
        // 'a' exists already (the first member's): the constraint fails this member, not the group.
        await insert(tx, 'a');
      }),
      database.writeTransaction(async (tx) => {
        const { rows } = await sql<{ name: string }>`select name from item order by name`.execute(tx);
        seenByFourth.push(...rows.map((row) => row.name));
        await insert(tx, 'c');
        return 'fourth';
      }),
      database.writeTransaction(async (tx) => {
        await insert(tx, 'd');
        return 'fifth';
      }),
    ]);
    assert.deepEqual(groups, [5]);
    // Three transactions committed, by one COMMIT.
    assert.deepEqual(database.writeCounts(), { transactions: countsBefore.transactions + 3, commits: countsBefore.commits + 1 });
    assert.deepEqual(outcomes[0], { status: 'fulfilled', value: 'first' });
    assert.equal(outcomes[1]?.status, 'rejected');
    assert.match(String((outcomes[1] as PromiseRejectedResult).reason), /changed its mind/);
    assert.equal(outcomes[2]?.status, 'rejected');
    assert.match(String((outcomes[2] as PromiseRejectedResult).reason), /UNIQUE constraint failed: item\.name/);
    assert.deepEqual(outcomes[3], { status: 'fulfilled', value: 'fourth' });
    assert.deepEqual(outcomes[4], { status: 'fulfilled', value: 'fifth' });
    // Each member sees the members before it as if they had committed first, and none of what was undone.
    assert.deepEqual(seenByFourth, ['a']);
    assert.deepEqual(committedNames(), ['a', 'c', 'd']);
  });

  it('answers no member before the COMMIT returned, and each then finds its row committed', async () => {
    const names = ['p', 'q', 'r', 's'];
    const committedAtAnswer: string[][] = [];
    await Promise.all(
      names.map((name) =>
        database
          .writeTransaction(async (tx) => {
            await insert(tx, name);
            // A member that awaits something else in between: the group waits for it, nobody is answered.
            await new Promise((resolve) => setImmediate(resolve));
          })
          .then(() => {
            events.push(`answered ${name}`);
            committedAtAnswer.push(committedNames());
          }),
      ),
    );
    assert.deepEqual(events, ['commit', ...names.map((name) => `answered ${name}`)]);
    for (const seen of committedAtAnswer) assert.deepEqual(seen, names);
  });

  it('takes into the running group the transactions asked for while it runs', async () => {
    let late: Promise<unknown> | undefined;
    await database.writeTransaction(async (tx) => {
      await insert(tx, 'early');
      // Asked for by another request while this one is inside its transaction.
      late = database.writeTransaction((inner) => insert(inner, 'late'));
    });
    await late;
    assert.deepEqual(groups, [2]);
    assert.deepEqual(committedNames(), ['early', 'late']);
  });

  it('fails every member when the COMMIT fails, and shows none of their rows to anyone', async () => {
    const outcomes = await Promise.allSettled([
      database.writeTransaction((tx) => insert(tx, 'x')),
      database.writeTransaction((tx) => sql`insert into child (id, parent_id) values (1, 404)`.execute(tx)),
      database.writeTransaction((tx) => insert(tx, 'y')),
    ]);
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['rejected', 'rejected', 'rejected'],
    );
    for (const outcome of outcomes) assert.match(String((outcome as PromiseRejectedResult).reason), /FOREIGN KEY constraint failed/);
    assert.deepEqual(groups, []);
    const { rows } = await sql<{ n: number }>`select count(*) as n from item`.execute(database.db);
    assert.equal(rows[0]?.n, 0);
    assert.deepEqual(committedNames(), []);
    // The connection is usable again: the next transaction commits.
    await database.writeTransaction((tx) => insert(tx, 'z'));
    assert.deepEqual(committedNames(), ['z']);
  });

  it('keeps reads outside write transactions out of a running group until its COMMIT', async () => {
    let readDuringGroup: Promise<string[]> | undefined;
    await database.writeTransaction(async (tx) => {
      await insert(tx, 'm');
      readDuringGroup = sql<{ name: string }>`select name from item`.execute(database.db).then(({ rows }) => rows.map((r) => r.name));
      await new Promise((resolve) => setImmediate(resolve));
      await insert(tx, 'n');
    });
    assert.deepEqual(await readDuringGroup, ['m', 'n']);
  });

  it('commits at the member limit and starts a new group for the rest', async () => {
    const limited = new GroupCommit(database.db, { committed: (members) => groups.push(members) }, 3);
    await Promise.all(Array.from({ length: 7 }, (_, i) => limited.run((tx) => insert(tx, `limit-${i}`))));
    assert.deepEqual(groups, [3, 3, 1]);
    assert.equal(committedNames().length, 7);
  });

  it('fails the transactions asked for on a closed database, and takes new ones after', async () => {
    const closed = await openSqlite(':memory:');
    await closed.close();
    const asked = await Promise.allSettled([1, 2].map(() => closed.writeTransaction(async (tx) => sql`select 1`.execute(tx))));
    assert.deepEqual(
      asked.map((outcome) => [outcome.status, String((outcome as PromiseRejectedResult).reason)]),
      [
        ['rejected', 'Error: driver has already been destroyed'],
        ['rejected', 'Error: driver has already been destroyed'],
      ],
    );
    // Not left running: a later call is answered too, not queued behind a group that never ends.
    await assert.rejects(
      closed.writeTransaction(async (tx) => sql`select 1`.execute(tx)),
      /driver has already been destroyed/,
    );
  });
});
