/**
 * The SQLite driver hands its one connection to waiters in arrival order, and a holder keeps it across
 * awaits: a read queued behind an open write transaction never sees that transaction's uncommitted rows.
 * Reads of one turn of the event loop share a read transaction, which nothing else may notice but speed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import { openSqlite, type OpenedDatabase } from '../../src/persistence/database.js';

describe('SQLite driver: one connection, first come first served', () => {
  let dir: string;
  let database: OpenedDatabase;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'livelink-driver-'));
    database = await openSqlite(join(dir, 'livelink.sqlite'));
    await sql`create table counter (id integer primary key, value integer not null)`.execute(database.db);
    await sql`insert into counter (id, value) values (1, 0)`.execute(database.db);
  });

  after(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const read = async (): Promise<number> => {
    const { rows } = await sql<{ value: number }>`select value from counter where id = 1`.execute(database.db);
    const row = rows[0];
    assert.ok(row);
    return row.value;
  };

  it('makes reads wait for an open write transaction and shows them only what it committed', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const transaction = database.writeTransaction(async (tx) => {
      await sql`update counter set value = 41 where id = 1`.execute(tx);
      // Held across an await, as a transaction that does other work in between would be.
      await held;
      await sql`update counter set value = 42 where id = 1`.execute(tx);
    });
    // Queued while the transaction holds the connection: none may see 41.
    const reads = Array.from({ length: 50 }, () => read());
    await new Promise((resolve) => setImmediate(resolve));
    release();
    await transaction;
    assert.deepEqual(new Set(await Promise.all(reads)), new Set([42]));
  });

  it('never shows a rolled-back write to a read queued behind it', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const transaction = database.writeTransaction(async (tx) => {
      await sql`update counter set value = -1 where id = 1`.execute(tx);
      await held;
      throw new Error('changed its mind');
    });
    const queued = read();
    release();
    await assert.rejects(transaction, /changed its mind/);
    assert.equal(await queued, 42);
  });

  it('serves waiters in the order they asked', async () => {
    const order: number[] = [];
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const transaction = database.writeTransaction(async () => {
      await held;
    });
    const reads = Array.from({ length: 200 }, (_, i) => read().then(() => order.push(i)));
    release();
    await Promise.all([transaction, ...reads]);
    assert.deepEqual(
      order,
      Array.from({ length: 200 }, (_, i) => i),
    );
  });

  it('answers thousands of concurrent queries, each with its own parameters', async () => {
    const answers = await Promise.all(
      Array.from({ length: 5000 }, async (_, i) => {
        const { rows } = await sql<{ n: number }>`select ${i} + value as n from counter where id = 1`.execute(database.db);
        return rows[0]?.n;
      }),
    );
    assert.deepEqual(
      answers,
      Array.from({ length: 5000 }, (_, i) => i + 42),
    );
  });

  const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

  it('shows a write to the reads that follow it in the same turn', async () => {
    assert.equal(await read(), 42);
    await sql`update counter set value = 43 where id = 1`.execute(database.db);
    assert.equal(await read(), 43);
    // A write transaction may begin right after reads of the same turn, and a backup may run.
    await database.writeTransaction(async (tx) => {
      await sql`update counter set value = 42 where id = 1`.execute(tx);
    });
    assert.equal(await read(), 42);
    await database.backup(join(dir, 'backup.sqlite'));
    assert.equal(await read(), 42);
  });

  it("sees another process's commit from the next turn on, and leaves no read open behind it", async () => {
    const other = new SqliteDatabase(join(dir, 'livelink.sqlite'), { timeout: 5000 });
    try {
      assert.equal(await read(), 42);
      other.prepare('update counter set value = 7 where id = 1').run();
      // Same turn: the shared read's snapshot, as if the read had come a moment earlier.
      assert.equal(await read(), 42);
      await nextTurn();
      assert.equal(await read(), 7);
      await nextTurn();
      // No snapshot is held any more: a full checkpoint is not blocked by a reader.
      const [checkpoint] = other.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      assert.equal(checkpoint?.busy, 0);
      other.prepare('update counter set value = 42 where id = 1').run();
    } finally {
      other.close();
    }
  });
});
