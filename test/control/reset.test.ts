/**
 * Snapshots and reset on a started livelink, on SQLite and on PostgreSQL: a reset puts every table back
 * exactly as the snapshot has it and the clock back to real time; an unknown snapshot is a 404 in the
 * error format; and a reset in the middle of traffic (concurrent digest clients linking, reading the
 * status and the available projects) loses no request's answer.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ApiError, apiErrors } from '../../src/http/api-error.js';
import type { DigestTestClient, TestResponse } from '../support/digest-client.js';
import { dumpRestoredTables } from '../support/every-table.js';
import { startLivelink, type RunningLivelink } from '../support/livelink-fixture.js';
import { liveMigration, linkedPair, readyForCutoverMigration, type LinkedPair } from '../support/linked-pair.js';
import { freshPostgresDatabase, POSTGRES_SKIP_REASON, type FreshPostgres } from '../support/postgres.js';

const HOUR = 3_600_000;
/** Every error code the catalogue builds: a 4xx a client may get must be one of them. */
const CATALOGUE_CODES = new Set(
  Object.values(apiErrors).map((build) => {
    const error = (build as (...args: unknown[]) => ApiError)(...Array.from({ length: build.length }, () => 1));
    return error.errorCode;
  }),
);

interface Dialect {
  name: string;
  skip: string | false;
  start(): Promise<{ server: RunningLivelink; dispose(): Promise<void> }>;
}

const DIALECTS: Dialect[] = [
  {
    name: 'SQLite',
    skip: false,
    start: async () => ({ server: await startLivelink(), dispose: () => Promise.resolve() }),
  },
  {
    name: 'PostgreSQL',
    skip: POSTGRES_SKIP_REASON,
    async start() {
      const fresh: FreshPostgres = await freshPostgresDatabase();
      const keys = { LIVELINK_ENCRYPTION_KEY: randomBytes(32).toString('base64'), LIVELINK_NONCE_KEY: randomBytes(32).toString('base64') };
      return { server: await startLivelink({ 'database-url': fresh.url }, keys), dispose: () => fresh.drop() };
    },
  },
];

for (const dialect of DIALECTS) {
  describe(`snapshots and reset on ${dialect.name}`, { skip: dialect.skip }, () => {
    let server: RunningLivelink;
    let dispose: () => Promise<void>;
    let pair: LinkedPair;
    let migrationId: string;

    before(async () => {
      ({ server, dispose } = await dialect.start());
      pair = await linkedPair(server, 'Reset');
      migrationId = await readyForCutoverMigration(pair);
      await server.livelink.services.users.create({
        orgId: pair.source.orgId,
        username: 'reset-owner',
        role: 'ORG_OWNER',
        password: 'a long password',
      });
    });
    after(async () => {
      await server.close();
      await dispose();
    });

    it('restores every table exactly, and the clock to real time', async () => {
      const { snapshots, clock } = server.livelink.services;
      const db = server.livelink.database.db;
      const taken = await snapshots.create('rehearsal');
      assert.equal(taken.replaced, false);
      const before = await dumpRestoredTables(db);
      assert.equal(
        taken.snapshot.rowCount,
        Object.values(before).reduce((sum, rows) => sum + rows.length, 0),
      );

      // The rehearsal goes on: the migration expires, the link goes, another organization and key come.
      await clock.advance(121 * HOUR);
      assert.equal((await liveMigration(pair, migrationId))['status'], 'EXPIRED');
      assert.equal((await pair.source.client.request('DELETE', pair.linkPath)).status, 204);
      const extra = await server.organizationWithKey('Made after the snapshot');
      assert.notDeepEqual(await dumpRestoredTables(db), before);

      const outcome = await snapshots.reset('rehearsal');
      assert.equal(outcome.snapshot.name, 'rehearsal');
      assert.equal(outcome.clock.offsetMs, 0);
      assert.equal(server.livelink.clock.offsetMs, 0);
      assert.deepEqual(await dumpRestoredTables(db), before);

      // And clients see it: the link and the migration are back, the later key is unknown.
      assert.equal((await pair.source.client.request('GET', `${pair.linkPath}/status`)).text, '{"status":"SYNCED"}');
      const migration = await liveMigration(pair, migrationId);
      assert.equal(migration['status'], 'WORKING');
      assert.equal(migration['readyForCutover'], true);
      assert.equal((await extra.client.request('GET', `/api/public/v1.0/orgs/${extra.orgId}`)).status, 401);
    });

    it('refuses an unknown snapshot with a 404 in the error format', async () => {
      const { snapshots } = server.livelink.services;
      await assert.rejects(snapshots.reset('never-taken'), (error: unknown) => {
        assert.ok(error instanceof ApiError);
        assert.equal(error.status, 404);
        assert.equal(error.errorCode, 'SNAPSHOT_NOT_FOUND');
        assert.equal(error.detail, 'No snapshot named never-taken exists.');
        return true;
      });
      await assert.rejects(snapshots.delete('never-taken'), { errorCode: 'SNAPSHOT_NOT_FOUND' });
      await assert.rejects(snapshots.create('no spaces'), { errorCode: 'INVALID_ATTRIBUTE' });
    });

    it('loses no request answer when it resets in the middle of traffic, and ends in the snapshot state', async () => {
      const { snapshots } = server.livelink.services;
      const db = server.livelink.database.db;
      await snapshots.create('traffic');
      const snapshotState = await dumpRestoredTables(db);

      const answers: { call: string; response: TestResponse }[] = [];
      const failures: string[] = [];
      let running = true;
      const clients: { client: DigestTestClient; calls: [string, () => Promise<TestResponse>][] }[] = [];
      for (let i = 0; i < 8; i += 1) {
        // Half take a challenge on every call (curl, the Go client), half reuse their nonce (Python requests).
        const options = { mode: i % 2 === 0 ? ('challenge-every-call' as const) : ('reuse-nonce' as const) };
        const source = server.client(pair.source.publicKey, pair.source.privateKey, options);
        const atlas = server.client(pair.atlas.publicKey, pair.atlas.privateKey, options);
        clients.push({
          client: source,
          calls: [
            ['link', () => source.request('POST', pair.linkPath, { linkToken: pair.linkToken })],
            ['status', () => source.request('GET', `${pair.linkPath}/status`)],
            ['inventory', () => atlas.request('GET', `/api/atlas/v2/orgs/${pair.atlas.orgId}/liveMigrations/availableProjects`)],
          ],
        });
      }
      const traffic = clients.map(async ({ calls }, index) => {
        for (let turn = index; running; turn += 1) {
          const [call, send] = calls[turn % calls.length]!;
          try {
            answers.push({ call, response: await send() });
          } catch (error) {
            failures.push(`${call}: ${error instanceof Error ? `${error.message} ${String(error.cause)}` : String(error)}`);
          }
        }
      });

      // Resets while the clients run, each after more answers came in; an organization made before each is gone after it.
      for (let reset = 0; reset < 3; reset += 1) {
        const seen = answers.length;
        while (answers.length < seen + 20 && failures.length === 0) await new Promise((resolve) => setImmediate(resolve));
        const marker = await server.livelink.services.organizations.createOrganization(`Marker ${reset}`);
        await snapshots.reset('traffic');
        assert.equal(await server.livelink.services.organizations.getOrganization(marker.id), undefined);
      }
      running = false;
      await Promise.all(traffic);

      assert.deepEqual(failures, [], 'every request got an answer');
      assert.ok(answers.length >= 60, `${answers.length} answers`);
      for (const { call, response } of answers) {
        const where = `${call}: ${response.status} ${response.text}`;
        assert.ok(response.status < 500, where);
        if (response.status >= 400) {
          const body = response.json() as { errorCode: string; error: number };
          assert.ok(CATALOGUE_CODES.has(body.errorCode), where);
          assert.equal(body.error, response.status, where);
        } else {
          assert.ok(response.text.length > 0, where);
          JSON.parse(response.text);
        }
      }
      const byCall = (name: string) => answers.filter((a) => a.call === name && a.response.status < 300).length;
      assert.ok(byCall('link') > 0 && byCall('status') > 0 && byCall('inventory') > 0, 'each kind of call succeeded');

      await snapshots.reset('traffic');
      assert.deepEqual(await dumpRestoredTables(db), snapshotState);
    });
  });
}
