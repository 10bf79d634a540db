/**
 * What the status path's two reads cost per organization on a SQLite file larger than its page cache,
 * through the stores as the server runs them: ten random organizations a statement, the organization
 * and its link's status, with the covering indexes (migration 0015) and without them. The growth
 * scenario of bench/run.ts measures the same through HTTP, where this host's noise hides a 10 µs step.
 *
 *   npx tsx bench/covered-reads.ts [organizations, default 1000000]
 *
 * Seeding a million takes about 30 s and 1 GB of disk, in a temporary folder removed afterwards.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MigrationLinkKyselyStore } from '../src/features/migration-link/migration-link-kysely-store.js';
import { OrganizationKyselyStore } from '../src/features/organizations/organization-kysely-store.js';
import { openSqlite } from '../src/persistence/database.js';
import { generatedOrgId } from './lib/protocol.js';

const count = Number(process.argv[2] ?? 1_000_000);
const statements = 20_000;
const perStatement = 10;
const dir = mkdtempSync(join(tmpdir(), 'livelink-covered-'));
const file = join(dir, 'livelink.sqlite');
try {
  await (await openSqlite(file)).close();
  const native = new Database(file);
  native.pragma('synchronous = OFF');
  const now = new Date().toISOString();
  const insertOrg = native.prepare(
    'insert into organizations (id, name, require_access_list, inventory_version, created_at) values (?, ?, 0, 0, ?)',
  );
  const insertLink = native.prepare(
    `insert into migration_links (org_id, state, link_token, token_digest, target_org_id, target_org_name, status, created_at, claimed_at)
     values (?, 'LINKED', ?, ?, ?, 'bench target', 'SYNCED', ?, ?)`,
  );
  // A sealed link token is about 400 characters: it is what spreads the link rows over many pages.
  const sealed = 'x'.repeat(400);
  native.transaction(() => {
    for (let i = 0; i < count; i += 1) {
      const id = generatedOrgId('6', i);
      insertOrg.run(id, `bench covered ${i}`, now);
      insertLink.run(id, sealed, 'd'.repeat(64), 'b'.repeat(24), now, now);
    }
  })();
  native.close();
  console.log(`${count.toLocaleString('en-US')} organizations, ${Math.round(statSync(file).size / 1e6)} MB`);

  const database = await openSqlite(file);
  // The same stores compile the same SQLite SQL either way; given another dialect they leave out INDEXED BY.
  const variants = [
    { name: 'covering indexes', dialect: 'sqlite' as const },
    { name: 'key index + table', dialect: 'postgres' as const },
  ];
  let seed = 12_345;
  const randomId = (): string => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return generatedOrgId('6', seed % count);
  };
  for (let round = 1; round <= 3; round += 1) {
    for (const variant of variants) {
      const organizations = new OrganizationKyselyStore(database.db, variant.dialect);
      const links = new MigrationLinkKyselyStore(database.db, variant.dialect);
      const started = performance.now();
      for (let s = 0; s < statements; s += 1) {
        const ids = Array.from({ length: perStatement }, randomId);
        await organizations.listOrganizations(ids);
        await links.statusesOf(ids);
      }
      const micros = ((performance.now() - started) * 1000) / (statements * perStatement);
      console.log(`round ${round}: ${variant.name.padEnd(18)} ${micros.toFixed(1)} µs an organization`);
    }
  }
  await database.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
