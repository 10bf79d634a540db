/**
 * Killing the node that holds the sync lease moves the sync to another node: two livelink processes
 * on one PostgreSQL; the holder gets SIGKILL (no chance to release the lease); the other takes the
 * lease over once it expires and pushes the linked organization again.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { DigestTestClient } from '../support/digest-client.js';
import { freshPostgresDatabase, POSTGRES_SKIP_REASON, type FreshPostgres } from '../support/postgres.js';
import { livelinkJson, startLivelinkProcess, type RunningProcess } from '../support/processes.js';
import { waitFor } from '../support/wait-for.js';

interface Credentials {
  orgId: string;
  publicKey: string;
  privateKey: string;
}

describe('the sync lease when its holder is killed', { skip: POSTGRES_SKIP_REASON }, () => {
  let database: FreshPostgres;
  let client: pg.Client;
  const nodes: RunningProcess[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'livelink-lease-'));
  const env = { LIVELINK_ENCRYPTION_KEY: randomBytes(32).toString('base64'), LIVELINK_NONCE_KEY: randomBytes(32).toString('base64') };

  before(async () => {
    database = await freshPostgresDatabase();
    client = new pg.Client({ connectionString: database.url });
  });
  after(async () => {
    for (const node of nodes) node.process.kill('SIGKILL');
    await client.end().catch(() => undefined);
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const lease = async () => (await client.query<{ holder: string }>("select holder from leases where name = 'sync'")).rows[0]?.holder;
  const lastAttempt = async (orgId: string) =>
    (await client.query<{ last_attempt_at: string }>('select last_attempt_at from migration_links where org_id = $1', [orgId])).rows[0]
      ?.last_attempt_at;

  it('is taken over by the surviving node, which goes on pushing', async () => {
    const setup = await livelinkJson<{ source: Credentials; target: Credentials }>(
      ['init', '--database-url', database.url, '--data', dataDir],
      env,
    );
    await client.connect();
    const flags = ['--database-url', database.url, '--sync-interval', '1'];
    const first = await startLivelinkProcess(flags, env);
    nodes.push(first);
    await waitFor(async () => (await lease()) !== undefined, 'the first node to take the lease');
    const firstHolder = await lease();
    const second = await startLivelinkProcess(flags, env);
    nodes.push(second);

    // Link the demo organizations (both roles on these nodes; the source pushes to itself).
    const atlas = new DigestTestClient(second.url, setup.target.publicKey, setup.target.privateKey);
    const ops = new DigestTestClient(second.url, setup.source.publicKey, setup.source.privateKey);
    const { linkToken } = (
      await atlas.request('POST', `/api/atlas/v2/orgs/${setup.target.orgId}/liveMigrations/linkTokens`, {})
    ).json() as { linkToken: string };
    assert.equal(
      (await ops.request('POST', `/api/public/v1.0/orgs/${setup.source.orgId}/liveExport/migrationLink`, { linkToken })).status,
      201,
    );
    assert.equal(await lease(), firstHolder, 'the first node still holds the lease');

    first.process.kill('SIGKILL');
    await waitFor(
      async () => {
        const holder = await lease();
        return holder !== undefined && holder !== firstHolder;
      },
      'the surviving node to take the lease',
      15_000,
    );

    const before = await lastAttempt(setup.source.orgId);
    await waitFor(async () => (await lastAttempt(setup.source.orgId)) !== before, 'the surviving node to push the organization', 15_000);
  });
});
