/**
 * Seeds a copy of a SQLite data folder with N linked organizations, straight into the tables, in one
 * transaction of prepared statements: a million organizations through the API would take longer than
 * the whole bench may. Every row is what a real link leaves behind, with the sealed link-token copied
 * from the one link made through the API (the status route never opens it), and with the sync state
 * set so that the sync loop finds nothing due: the run measures requests, not a million pushes.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { copyDataDir } from './livelink.js';
import { generatedOrgId } from './protocol.js';

/** Prefix of every generated organization id: no ObjectId livelink mints starts with it before 2065. */
export const GROWTH_ID_PREFIX = 'b0';

interface LinkTemplate {
  link_token: string;
  token_digest: string;
  target_org_id: string;
  target_org_name: string;
}

export function seedGrowth(templateDir: string, dataDir: string, count: number): { seconds: number; databaseMb: number } {
  const started = performance.now();
  copyDataDir(templateDir, dataDir);
  const db = new Database(join(dataDir, 'livelink.sqlite'));
  try {
    // This connection only: the copy is not in use, and a crash while seeding just fails the bench.
    db.pragma('synchronous = OFF');
    const template = db
      .prepare("select link_token, token_digest, target_org_id, target_org_name from migration_links where state = 'LINKED' limit 1")
      .get() as LinkTemplate | undefined;
    if (template === undefined) throw new Error('the template data folder has no linked organization to copy');
    const now = new Date().toISOString();
    const insertOrg = db.prepare(
      'insert into organizations (id, name, require_access_list, inventory_version, created_at) values (?, ?, 0, 0, ?)',
    );
    const insertLink = db.prepare(
      `insert into migration_links (org_id, state, link_token, token_digest, target_org_id, target_org_name, status, created_at, claimed_at,
         last_synced_at, last_attempt_at, last_error, synced_inventory_version)
       values (?, 'LINKED', ?, ?, ?, ?, 'SYNCED', ?, ?, ?, ?, null, 0)`,
    );
    db.transaction(() => {
      for (let i = 0; i < count; i += 1) {
        const id = generatedOrgId(GROWTH_ID_PREFIX, i);
        insertOrg.run(id, `bench growth ${i}`, now);
        // last_attempt_at = now and synced_inventory_version = inventory_version: not due for a push.
        insertLink.run(
          id,
          template.link_token,
          template.token_digest,
          template.target_org_id,
          template.target_org_name,
          now,
          now,
          now,
          now,
        );
      }
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');
    const pages = Number(db.pragma('page_count', { simple: true }));
    const pageSize = Number(db.pragma('page_size', { simple: true }));
    return { seconds: (performance.now() - started) / 1000, databaseMb: (pages * pageSize) / 1024 / 1024 };
  } finally {
    db.close();
  }
}

/**
 * Puts the `sync` lease in the hands of another (imaginary) node until far in the future, or takes it
 * back. With the lease elsewhere this node's sync loop does no pass at all, which isolates what the
 * request path alone costs at a given size: the same set-up as a second node of a cluster.
 */
export function setSyncLeaseElsewhere(dataDir: string, elsewhere: boolean): void {
  const db = new Database(join(dataDir, 'livelink.sqlite'));
  try {
    db.prepare("delete from leases where name = 'sync'").run();
    if (elsewhere)
      db.prepare("insert into leases (name, holder, expires_at_ms) values ('sync', 'bench: another node', ?)").run(Date.now() + 86_400_000);
  } finally {
    db.close();
  }
}
