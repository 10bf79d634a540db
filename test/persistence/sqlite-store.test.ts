import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openSqlite } from '../../src/persistence/database.js';
import { migrationProvider, type Dialect } from '../../src/persistence/migrations.js';
import { storeContract } from './store-contract.js';

function freshSqlite() {
  const dir = mkdtempSync(join(tmpdir(), 'livelink-sqlite-'));
  return openSqlite(join(dir, 'test.sqlite')).then((database) => ({
    ...database,
    dispose: async () => rmSync(dir, { recursive: true, force: true }),
  }));
}

storeContract('SQLite', freshSqlite);

/** Every migration livelink has, however many that is by now. */
async function migrationCount(dialect: Dialect): Promise<number> {
  return Object.keys(await migrationProvider(dialect).getMigrations()).length;
}

describe('store contract on an in-memory fake', () => {
  it(
    'runs against an in-memory fake',
    {
      skip:
        'livelink has no in-memory fake store: each store has one Kysely implementation that serves SQLite and ' +
        'PostgreSQL alike, and service tests run on a real SQLite file, which is fast enough; a fake would be a ' +
        'third implementation that no product path uses, kept honest only by this suite',
    },
    () => {},
  );
});

describe('SQLite settings (R-01)', () => {
  it('runs in WAL with synchronous=FULL, a 5 s busy timeout and foreign keys on', async () => {
    const database = await freshSqlite();
    try {
      assert.deepEqual(database.settings, { journalMode: 'wal', synchronous: 2, busyTimeoutMs: 5000, foreignKeys: 1 });
    } finally {
      await database.close();
      await database.dispose();
    }
  });

  it('migrates an existing database again without change', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'livelink-sqlite-'));
    try {
      const first = await openSqlite(join(dir, 'db.sqlite'));
      await first.close();
      const second = await openSqlite(join(dir, 'db.sqlite'));
      const migrations = await second.db
        .selectFrom('kysely_migration' as never)
        .selectAll()
        .execute();
      assert.equal(migrations.length, await migrationCount('sqlite'), 'every migration, once');
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
