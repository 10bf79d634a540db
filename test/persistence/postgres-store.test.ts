import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openPostgres } from '../../src/persistence/database.js';
import { migrationProvider } from '../../src/persistence/migrations.js';
import { freshPostgresDatabase, POSTGRES_SKIP_REASON } from '../support/postgres.js';
import { storeContract } from './store-contract.js';

if (POSTGRES_SKIP_REASON === false) {
  storeContract('PostgreSQL', async () => {
    const fresh = await freshPostgresDatabase();
    const database = await openPostgres(fresh.url);
    return { ...database, dispose: () => fresh.drop() };
  });

  describe('PostgreSQL migrations', () => {
    it('migrate once when several nodes start at the same moment', async () => {
      const fresh = await freshPostgresDatabase();
      try {
        const nodes = await Promise.all([openPostgres(fresh.url), openPostgres(fresh.url), openPostgres(fresh.url)]);
        const applied = await nodes[0]!.db
          .selectFrom('kysely_migration' as never)
          .selectAll()
          .execute();
        assert.equal(applied.length, Object.keys(await migrationProvider('postgres').getMigrations()).length, 'every migration, once');
        await Promise.all(nodes.map((node) => node.close()));
      } finally {
        await fresh.drop();
      }
    });
  });
} else {
  describe('store contract on PostgreSQL', () => {
    it('runs against a PostgreSQL server', { skip: POSTGRES_SKIP_REASON }, () => {});
  });
}
