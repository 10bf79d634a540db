/**
 * Snapshots and reset on a started livelink, on SQLite and on PostgreSQL: a reset puts every table back
 * exactly as the snapshot has it and the clock back to real time; an unknown snapshot is a 404 in the
 * error format; and a reset in the middle of traffic (concurrent digest clients linking, reading the
 * status and the available projects) loses no request's answer.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { apiErrors, type ApiError } from '../../src/http/api-error.js';
import { cli } from '../cli/helpers.js';
import type { DigestTestClient, TestResponse } from '../support/digest-client.js';
import { dumpRestoredTables } from '../support/every-table.js';
import { startLivelink, type RunningLivelink } from '../support/livelink-fixture.js';
import { liveMigration, linkedPair, readyForCutoverMigration, type LinkedPair } from '../support/linked-pair.js';
import { freshPostgresDatabase, POSTGRES_SKIP_REASON, type FreshPostgres } from '../support/postgres.js';

const HOUR = 3_600_000;
const TOKEN = 'rehearsal-reset-token-0123456789';
const CONTROL = '/_livelink/control/v1';
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
    start: async () => ({ server: await startLivelink({ 'control-token': TOKEN }), dispose: () => Promise.resolve() }),
  },
  {
    name: 'PostgreSQL',
    skip: POSTGRES_SKIP_REASON,
    async start() {
      const fresh: FreshPostgres = await freshPostgresDatabase();
      const keys = { LIVELINK_ENCRYPTION_KEY: randomBytes(32).toString('base64'), LIVELINK_NONCE_KEY: randomBytes(32).toString('base64') };
      return { server: await startLivelink({ 'database-url': fresh.url, 'control-token': TOKEN }, keys), dispose: () => fresh.drop() };
    },
  },
];

for (const dialect of DIALECTS) {
  describe(`snapshots and reset on ${dialect.name}`, { skip: dialect.skip }, () => {
    let server: RunningLivelink;
    let dispose: () => Promise<void>;
    let pair: LinkedPair;
    let migrationId: string;

    /** A control call as a rehearsal script makes it. */
    const control = async (method: string, path: string): Promise<{ status: number; text: string; json: () => unknown }> => {
      const response = await fetch(`${server.url}${CONTROL}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}` } });
      const text = await response.text();
      return { status: response.status, text, json: () => JSON.parse(text) as unknown };
    };
    const reset = async (name: string) => {
      const answer = await control('POST', `/reset/${name}`);
      assert.equal(answer.status, 200, answer.text);
      return answer.json() as { snapshot: { name: string }; faultsCleared: number; clock: { offsetMs: number } };
    };

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
      const db = server.livelink.database.db;
      const taken = await control('PUT', '/snapshots/rehearsal');
      assert.equal(taken.status, 201, taken.text);
      const before = await dumpRestoredTables(db);
      const snapshot = taken.json() as { name: string; createdAt: string; rowCount: number };
      assert.deepEqual(Object.keys(snapshot), ['createdAt', 'name', 'rowCount']);
      assert.equal(snapshot.name, 'rehearsal');
      assert.equal(
        snapshot.rowCount,
        Object.values(before).reduce((sum, rows) => sum + rows.length, 0),
      );

      // The rehearsal goes on: the migration expires, the link goes, another organization and key come.
      await server.livelink.services.clock.advance(121 * HOUR);
      assert.equal((await liveMigration(pair, migrationId))['status'], 'EXPIRED');
      assert.equal((await pair.source.client.request('DELETE', pair.linkPath)).status, 204);
      const extra = await server.organizationWithKey('Made after the snapshot');
      assert.notDeepEqual(await dumpRestoredTables(db), before);

      const outcome = await reset('rehearsal');
      assert.deepEqual(outcome.snapshot, snapshot);
      assert.equal(outcome.faultsCleared, 0);
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

    it('refuses an unknown snapshot with a 404 in the error format, and a bad name with a 400', async () => {
      const unknown = await control('POST', '/reset/never-taken');
      assert.equal(unknown.status, 404);
      assert.equal(
        unknown.text,
        '{"detail":"No snapshot named never-taken exists.","error":404,"errorCode":"SNAPSHOT_NOT_FOUND","parameters":["never-taken"],"reason":"Not Found"}',
      );
      // No init snapshot was taken here: a reset with no name says so the same way.
      assert.equal(((await control('POST', '/reset')).json() as { detail: string }).detail, 'No snapshot named init exists.');
      assert.equal((await control('DELETE', '/snapshots/never-taken')).status, 404);
      const bad = await control('PUT', '/snapshots/no%20spaces');
      assert.equal(bad.status, 400);
      assert.equal((bad.json() as { errorCode: string }).errorCode, 'INVALID_ATTRIBUTE');
    });

    it('answers 201 for a new snapshot and 200 when it replaces one of that name, as the document lists both', async () => {
      const first = await control('PUT', '/snapshots/taken-twice');
      assert.equal(first.status, 201, first.text);
      const again = await control('PUT', '/snapshots/taken-twice');
      assert.equal(again.status, 200, again.text);
      assert.equal((again.json() as { name: string }).name, 'taken-twice');
      assert.equal((await control('DELETE', '/snapshots/taken-twice')).status, 204);
      // A name longer than the router takes never reaches the route: 414, in the error format, documented too.
      const long = await control('PUT', `/snapshots/${'n'.repeat(201)}`);
      assert.equal(long.status, 414);
      assert.equal((long.json() as { errorCode: string }).errorCode, 'INVALID_REQUEST');
      const document = server.livelink.openApiDocument() as { paths: Record<string, Record<string, { responses: object }>> };
      const put = document.paths[`${CONTROL}/snapshots/{name}`]?.['put'];
      assert.deepEqual(
        Object.keys(put?.responses ?? {}).filter((status) => ['200', '201', '414'].includes(status)),
        ['200', '201', '414'],
      );
    });

    it('has CLI twins: snapshot create, list and delete, and reset', async () => {
      const env = { LIVELINK_CONTROL_TOKEN: TOKEN, LIVELINK_URL: server.url };
      const created = await cli(['control', 'snapshot', 'create', '--name', 'cli-one'], env);
      assert.equal(created.code, 0, created.stderr);
      assert.match(created.stdout, /^Snapshot cli-one taken at \S+Z: \d+ rows\.\n$/);
      const listed = await cli(['control', 'snapshot', 'list', '--json'], env);
      const { results } = JSON.parse(listed.stdout) as { results: { name: string }[] };
      assert.ok(results.some((s) => s.name === 'cli-one'));
      assert.match((await cli(['control', 'snapshot', 'list'], env)).stdout, /^NAME +CREATED +ROWS\n/);
      const restored = await cli(['control', 'reset', '--snapshot', 'cli-one'], env);
      assert.equal(restored.code, 0, restored.stderr);
      assert.match(
        restored.stdout,
        /^Reset to snapshot cli-one \(taken \S+Z, \d+ rows\)\.\nCleared 0 faults; Clock at \S+Z \(real time\)\.\n$/,
      );
      assert.deepEqual(await cli(['control', 'snapshot', 'delete', '--name', 'cli-one'], env), {
        code: 0,
        stdout: 'Snapshot cli-one deleted.\n',
        stderr: '',
      });
      assert.deepEqual(await cli(['control', 'reset', '--snapshot', 'cli-one'], env), {
        code: 1,
        stdout: '',
        stderr: 'livelink control reset: No snapshot named cli-one exists.\n',
      });
      assert.equal((await cli(['control', 'snapshot', 'create', '--name', 'no spaces'], env)).code, 2);
    });

    it('loses no request answer when it resets in the middle of traffic, and ends in the snapshot state', async () => {
      const db = server.livelink.database.db;
      assert.equal((await control('PUT', '/snapshots/traffic')).status, 201);
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
      for (let round = 0; round < 3; round += 1) {
        const seen = answers.length;
        while (answers.length < seen + 20 && failures.length === 0) await new Promise((resolve) => setImmediate(resolve));
        const marker = await server.livelink.services.organizations.createOrganization(`Marker ${round}`);
        await reset('traffic');
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

      await reset('traffic');
      assert.deepEqual(await dumpRestoredTables(db), snapshotState);
    });
  });
}
