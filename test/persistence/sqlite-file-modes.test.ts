/**
 * The SQLite database holds sealed secrets, digest verifiers and session hashes: its file, its -wal and
 * -shm, and an online backup of it are created readable by their owner only (0600), as secrets.json is.
 * The umask is set to the common 022 for each test, under which SQLite alone would create them 0644.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { sql } from 'kysely';
import { openSqlite } from '../../src/persistence/database.js';

const modeOf = (file: string) => (statSync(file).mode & 0o777).toString(8);

describe('SQLite file modes', () => {
  let dir: string;
  let umask: number;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'livelink-modes-'));
    umask = process.umask(0o022);
  });
  afterEach(() => {
    process.umask(umask);
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the database, its WAL and its shared-memory file 0600, and they stay so after a write', async () => {
    const file = join(dir, 'data', 'livelink.sqlite');
    const database = await openSqlite(file);
    try {
      const files = [file, `${file}-wal`, `${file}-shm`];
      assert.deepEqual(
        files.map((f) => existsSync(f)),
        [true, true, true],
        'WAL mode: all three exist once open',
      );
      assert.deepEqual(files.map(modeOf), ['600', '600', '600'], 'after opening (and migrating)');
      await database.writeTransaction(async (tx) => {
        await sql`create table mode_probe (value text)`.execute(tx);
        await sql`insert into mode_probe (value) values ('written')`.execute(tx);
      });
      await sql`pragma wal_checkpoint(TRUNCATE)`.execute(database.db);
      await database.writeTransaction(async (tx) => {
        await sql`insert into mode_probe (value) values ('after the checkpoint')`.execute(tx);
      });
      assert.deepEqual(files.map(modeOf), ['600', '600', '600'], 'after writes and a checkpoint');
    } finally {
      await database.close();
    }
    assert.equal(modeOf(file), '600', 'after closing');
  });

  it('writes an online backup 0600', async () => {
    const database = await openSqlite(join(dir, 'livelink.sqlite'));
    const backup = join(dir, 'backup.sqlite');
    try {
      await database.backup(backup);
    } finally {
      await database.close();
    }
    assert.equal(modeOf(backup), '600');
  });

  it('leaves the mode of a database file that already exists as its operator set it', async () => {
    const file = join(dir, 'livelink.sqlite');
    writeFileSync(file, '');
    chmodSync(file, 0o640);
    const database = await openSqlite(file);
    await database.close();
    assert.equal(modeOf(file), '640');
  });
});
