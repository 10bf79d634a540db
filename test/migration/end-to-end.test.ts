/**
 * A push live migration rehearsed end to end, as a team would: one livelink in role `both` (the source
 * Ops Manager and the target Atlas), two real MongoDB servers (the source deployment and the
 * destination cluster), the organizations linked through the public API, and `livelink migration-host
 * run` as a process of its own. Everything after the set-up goes through the Atlas API with digest, as
 * the Atlas CLI sends it: validate → poll SUCCESS → create → poll WORKING and readyForCutover → stop
 * writes → cutover → COMPLETE; then every collection's documents (a hash) and index definitions are
 * compared, source against destination.
 *
 * On the way: validations that fail with the record's messages (a standalone source, a time-series
 * collection, a destination that does not answer, a destination that is not empty); a source that disappears in the middle of the copy
 * (FAILED, the reason in the organizations' events, retried by a new migration); inserts, updates,
 * replacements and deletes on the source during the copy and during the tail; the migration host
 * killed with SIGKILL during the copy and during the tail, each time after a number of copied documents
 * or applied changes it printed (after saving its checkpoint), never at a random moment, and started
 * again.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { MongoClient, ObjectId, type AnyBulkWriteOperation } from 'mongodb';
import { FileCheckpointStore } from '../../src/features/live-migrations/data-plane/file-checkpoint-store.js';
import type { DigestTestClient, TestResponse } from '../support/digest-client.js';
import { startLivelink, type RunningLivelink } from '../support/livelink-fixture.js';
import { MONGODB_SERVERS_SKIP_REASON, startMongoServer, startMongoServers, type MongoTestServer } from '../support/mongodb-servers.js';
import { waitFor } from '../support/wait-for.js';
import { assertIdentical, type AnyDocument, type KeyedDocument } from './deployment-snapshot.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

const CLI = new URL('./migration-host-cli.ts', import.meta.url).pathname;
const HOSTNAME = 'mh1.example.internal';
const V2_2024 = 'application/vnd.atlas.2024-05-30+json';
const V2_2023 = 'application/vnd.atlas.2023-01-01+json';

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

interface HostProgress {
  event: string;
  phase?: string;
  documentsCopied?: number;
  changesApplied?: number;
  jobId?: string;
  reason?: string;
}

interface HostProcess {
  /** The first log line that satisfies `predicate` (or one already seen); fails after `timeoutMs`. */
  waitFor(predicate: (line: HostProgress) => boolean, what: string, timeoutMs?: number): Promise<HostProgress>;
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

/** `livelink migration-host run` as a process; its JSON log lines are what the test reads its progress from. */
function startHost(args: readonly string[], key: string): HostProcess {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', CLI, 'migration-host', 'run', ...args], {
    env: { ...process.env, LIVELINK_MIGRATION_HOST_KEY: key },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const seen: HostProgress[] = [];
  const waiters: { predicate: (line: HostProgress) => boolean; resolve: (line: HostProgress) => void }[] = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: child.stdout! }).on('line', (text) => {
    let line: HostProgress;
    try {
      line = JSON.parse(text) as HostProgress;
    } catch {
      return;
    }
    seen.push(line);
    for (const waiter of [...waiters]) {
      if (waiter.predicate(line)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    waitFor: (predicate, what, timeoutMs = 60_000) =>
      new Promise((resolve, reject) => {
        const already = seen.find(predicate);
        if (already !== undefined) return resolve(already);
        const timer = setTimeout(() => {
          const last = seen.slice(-5).map((line) => JSON.stringify(line));
          reject(new Error(`timed out waiting for ${what}; the host's last lines: ${last.join('\n')}`));
        }, timeoutMs);
        waiters.push({
          predicate,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
        });
        void exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`the migration host exited (${code}) before ${what}: ${stderr}`));
        });
      }),
    kill9: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

describe('push live migration, end to end', { skip: MONGODB_SERVERS_SKIP_REASON }, () => {
  let source: MongoTestServer;
  let destination: MongoTestServer;
  let standalone: MongoTestServer;
  let proxy: TcpProxy;
  let sourceClient: MongoClient;
  let server: RunningLivelink;
  let atlas: DigestTestClient;
  let opsManager: DigestTestClient;
  let targetOrgId: string;
  let sourceOrgId: string;
  let atlasProjectId: string;
  let sourceProjectId: string;
  let hostKey: string;
  let stateDir: string;
  const hosts: HostProcess[] = [];

  before(async () => {
    [source, destination] = (await startMongoServers(2)) as [MongoTestServer, MongoTestServer];
    standalone = await startMongoServer({ standalone: true });
    // The source deployment as the source knows it: through a proxy the test can cut. A direct
    // connection, so the driver keeps to that address instead of the member address hello gives.
    proxy = await startTcpProxy(source.port);
    sourceClient = new MongoClient(source.url);
    stateDir = mkdtempSync(join(tmpdir(), 'livelink-migration-host-'));

    server = await startLivelink();
    const atlasOrg = await server.organizationWithKey('Atlas Org');
    const opsOrg = await server.organizationWithKey('Ops Org');
    [atlas, targetOrgId, opsManager, sourceOrgId] = [atlasOrg.client, atlasOrg.orgId, opsOrg.client, opsOrg.orgId];
    const { organizations, clusters, migrationHosts } = server.livelink.services;

    // The target: an Atlas project with its destination cluster.
    atlasProjectId = (await organizations.createProject(targetOrgId, 'Atlas Project')).id;
    await clusters.create(atlasProjectId, { name: 'Cluster0', connectionString: destination.url });

    // The source: a project with the deployment (and a standalone one), and its migration host with its key.
    sourceProjectId = (await organizations.createProject(sourceOrgId, 'Payments')).id;
    const facts = {
      mongoDBVersion: '8.2.11',
      featureCompatibilityVersion: '8.2',
      managed: true,
      sharded: false,
      shardsSize: null,
      tlsEnabled: false,
      agentVersion: null,
      dbSizeBytes: null,
      oplogSizeMB: null,
    };
    await organizations.createDeployment(
      sourceProjectId,
      { name: 'rs0', ...facts },
      `mongodb://127.0.0.1:${proxy.port}/?directConnection=true`,
    );
    await organizations.createDeployment(sourceProjectId, { name: 'single', ...facts }, standalone.url);
    const added = await migrationHosts.add(sourceProjectId, HOSTNAME);
    assert.ok(added.apiKey !== undefined);
    hostKey = `${added.apiKey.apiKey.publicKey}:${added.apiKey.privateKey}`;

    // The link, through the public API: a link-token on the target, posted to the source.
    const token = await atlas.request('POST', `/api/atlas/v2/orgs/${targetOrgId}/liveMigrations/linkTokens`, {
      accessListIps: ['127.0.0.1'],
    });
    assert.equal(token.status, 201, token.text);
    const link = await opsManager.request('POST', `/api/public/v1.0/orgs/${sourceOrgId}/liveExport/migrationLink`, {
      linkToken: (token.json() as { linkToken: string }).linkToken,
    });
    assert.equal(link.status, 201, link.text);
  });

  after(async () => {
    await Promise.all(hosts.map((host) => host.kill9()));
    await sourceClient?.close();
    await server?.close();
    await proxy?.close();
    await Promise.all([source?.stop(), destination?.stop(), standalone?.stop()]);
    if (stateDir !== undefined) rmSync(stateDir, { recursive: true, force: true });
  });

  const runHost = (): HostProcess => {
    const host = startHost(
      [
        ...['--source-url', server.url, '--group', sourceProjectId, '--hostname', HOSTNAME, '--state-dir', stateDir],
        ...['--poll-interval', '0.2', '--batch-size', '100', '--mongodb-timeout', '3', '--log-level', 'debug'],
      ],
      hostKey,
    );
    hosts.push(host);
    return host;
  };

  /** The Atlas CLI's body (reference §4.2): empty strings where it was given nothing, hostnameSchemaType "". */
  const request = (sourceClusterName: string, dropDestinationData: boolean, clusterName = 'Cluster0') => ({
    destination: { clusterName, groupId: atlasProjectId, hostnameSchemaType: '' },
    dropDestinationData,
    migrationHosts: [HOSTNAME],
    source: {
      caCertificatePath: '',
      clusterName: sourceClusterName,
      groupId: sourceProjectId,
      managedAuthentication: true,
      password: '',
      ssl: false,
      username: '',
    },
  });
  const v2 = (media: string) => ({ accept: media, 'content-type': media });
  const base = () => `/api/atlas/v2/groups/${atlasProjectId}/liveMigrations`;

  async function validate(
    sourceClusterName: string,
    dropDestinationData = false,
    clusterName = 'Cluster0',
  ): Promise<{ status: string; errorMessage: string | null }> {
    const body = request(sourceClusterName, dropDestinationData, clusterName);
    const created = await atlas.request('POST', `${base()}/validate`, body, v2(V2_2024));
    assert.equal(created.status, 200, created.text);
    const { _id: id, status } = created.json() as { _id: string; status: string };
    assert.equal(status, 'PENDING');
    let latest: { status: string; errorMessage: string | null } = { status, errorMessage: null };
    await waitFor(
      async () => {
        latest = json(await atlas.request('GET', `${base()}/validate/${id}`, undefined, { accept: V2_2023 }));
        return latest.status !== 'PENDING';
      },
      `validation ${id} to end`,
      30_000,
    );
    return { status: latest.status, errorMessage: latest.errorMessage };
  }

  async function migration(
    id: string,
  ): Promise<{ status: string; readyForCutover: boolean; lagTimeSeconds: number | null; errorMessage?: string }> {
    return json(await atlas.request('GET', `${base()}/${id}`, undefined, { accept: V2_2023 }));
  }

  async function createMigration(dropDestinationData: boolean): Promise<string> {
    const created = await atlas.request('POST', base(), request('rs0', dropDestinationData), v2(V2_2024));
    assert.equal(created.status, 201, created.text);
    const body = created.json() as { _id: string; status: string; migrationHosts: string[] };
    assert.equal(body.status, 'NEW');
    assert.deepEqual(body.migrationHosts, [HOSTNAME]);
    return body._id;
  }

  async function eventsOf(client: DigestTestClient, orgId: string): Promise<{ eventTypeName: string; [field: string]: unknown }[]> {
    return (json(await client.request('GET', `/api/public/v1.0/orgs/${orgId}/events`)) as { results: { eventTypeName: string }[] }).results;
  }

  const keyed = (db: string, name: string) => sourceClient.db(db).collection<KeyedDocument>(name);
  const insertInto = (db: string, name: string) => sourceClient.db(db).collection<AnyDocument>(name);

  it(
    'validates, fails on a vanished source, then migrates through kill -9 in the copy and in the tail, and cuts over to an identical destination',
    { timeout: 300_000 },
    async () => {
      const big = insertInto('a', 'big');
      await big.createIndex({ key: 1 }, { unique: true });
      await big.insertMany(range(0, 2500).map((i) => ({ _id: i, key: `k${i}`, payload: 'p'.repeat(100) })));
      const mixed: AnyDocument[] = range(0, 200).flatMap((i) => [
        { _id: i, n: i },
        { _id: `s${String(i).padStart(3, '0')}`, n: i },
        { _id: new ObjectId(), n: i },
      ]);
      await insertInto('b', 'mixed').insertMany(mixed);
      await insertInto('b', 'hot').insertMany(range(0, 600).map((i) => ({ _id: i, n: 0, tag: 'seed' })));
      await sourceClient.db('b').createCollection('recent', { viewOn: 'hot', pipeline: [{ $match: { n: { $gt: 0 } } }] });

      let host = runHost();
      await host.waitFor((line) => line.event === 'started', 'the host to start');
      // The target counts a host alive once it has asked for its job.
      await waitFor(
        async () => {
          const created = await atlas.request('POST', `${base()}/validate`, request('single', false), v2(V2_2024));
          return (created.json() as { status: string }).status === 'PENDING';
        },
        'the host to be seen',
        20_000,
      );

      // Validations that fail, with the record's messages.
      assert.deepEqual(await validate('single'), { status: 'FAILED', errorMessage: 'Source appears to be a standalone' });
      await sourceClient.db('t').createCollection('metrics', { timeseries: { timeField: 'at' } });
      assert.deepEqual(await validate('rs0'), {
        status: 'FAILED',
        errorMessage: 'Source cluster contains a time series collection, which is unsupported',
      });
      await sourceClient.db('t').dropDatabase();
      // A destination cluster whose server is gone (recorded without the create-time check).
      await server.livelink.services.clusters.create(atlasProjectId, {
        name: 'Gone',
        connectionString: 'mongodb://127.0.0.1:1/?directConnection=true',
        mongoDBVersion: '8.2.11',
      });
      assert.match((await validate('rs0', false, 'Gone')).errorMessage ?? '', /^Could not reach the destination cluster: /);
      assert.deepEqual(await validate('rs0'), { status: 'SUCCESS', errorMessage: null });

      // A source that disappears in the middle of the copy: FAILED, with the reason, on both sides.
      proxy.delayMs = 20;
      const vanished = await createMigration(false);
      await host.waitFor((line) => line.jobId === vanished && (line.documentsCopied ?? 0) >= 300, '300 copied documents');
      await proxy.cut();
      await waitFor(async () => (await migration(vanished)).status === 'FAILED', 'the migration to fail', 30_000);
      const vanishedView = await migration(vanished);
      assert.match(String(vanishedView.errorMessage), /^Could not reach specified source: the source stopped answering/);
      assert.deepEqual(vanishedView, {
        _id: vanished,
        errorMessage: vanishedView.errorMessage,
        lagTimeSeconds: null,
        migrationHosts: [HOSTNAME],
        readyForCutover: false,
        status: 'FAILED',
      });
      for (const [client, orgId] of [
        [atlas, targetOrgId],
        [opsManager, sourceOrgId],
      ] as const) {
        const failed = (await eventsOf(client, orgId)).find((event) => event.eventTypeName === 'LIVE_MIGRATION_FAILED');
        assert.ok(
          failed !== undefined,
          `a LIVE_MIGRATION_FAILED event in ${orgId === targetOrgId ? 'the target' : 'the source'} organization`,
        );
        assert.match(JSON.stringify(failed), /Could not reach specified source/);
      }
      proxy.delayMs = 0;
      await proxy.restore();

      // Retried by a new migration; the destination holds what the failed one copied, so it is dropped.
      assert.match((await validate('rs0')).errorMessage ?? '', /^The destination cluster is not empty \(it has a\.big/);
      assert.deepEqual(await validate('rs0', true), { status: 'SUCCESS', errorMessage: null });
      const id = await createMigration(true);
      const checkpoints = new FileCheckpointStore(join(stateDir, `${id}.json`));
      let inserted = 2500 + mixed.length + 600;

      // Writes of every kind during the copy, then kill -9.
      await host.waitFor((line) => line.jobId === id && (line.documentsCopied ?? 0) >= 500, '500 copied documents');
      assert.equal((await migration(id)).status, 'WORKING');
      await keyed('a', 'big').updateMany({ _id: { $lt: 100 } }, { $set: { payload: 'updated after its copy' } });
      await keyed('a', 'big').updateMany({ _id: { $gte: 2000, $lt: 2100 } }, { $set: { payload: 'updated before its copy' } });
      await keyed('a', 'big').replaceOne({ _id: 7 }, { key: 'k7', replaced: true });
      await keyed('a', 'big').deleteMany({ _id: { $gte: 200, $lt: 250 } });
      // Inserted and deleted during the copy: it must not appear.
      await insertInto('a', 'big').insertOne({ _id: 'ghost', key: 'ghost' });
      await keyed('a', 'big').deleteOne({ _id: 'ghost' });
      await insertInto('a', 'big').insertMany(range(3000, 3100).map((i) => ({ _id: i, key: `k${i}` })));
      inserted += 101;
      await host.waitFor((line) => line.jobId === id && (line.documentsCopied ?? 0) >= 1000, '1000 copied documents');
      await host.kill9();
      const killedInCopy = await checkpoints.load();
      assert.equal(killedInCopy?.phase, 'COPYING', 'killed during the copy');
      assert.ok(killedInCopy !== undefined && killedInCopy.counters.documentsCopied < inserted, 'with documents left to copy');

      // Changes while no host runs, then a restart that resumes the copy.
      await keyed('b', 'mixed').deleteMany({ n: { $lt: 10 } });
      await insertInto('b', 'mixed').insertMany(range(0, 20).map((i) => ({ _id: `down-${i}`, n: -i })));
      host = runHost();
      const tailing = await host.waitFor((line) => line.jobId === id && line.phase === 'TAILING', 'the tail');
      assert.ok(
        (tailing.documentsCopied ?? 0) <= inserted + 20 + 1,
        `the copy resumed from its checkpoint (${tailing.documentsCopied} copied)`,
      );

      // A stream of writes during the tail, going on while the host is killed and started again.
      const rounds = 30;
      const writer = (async () => {
        for (let round = 0; round < rounds; round++) {
          const operations = range(0, 50).map(
            (j): AnyBulkWriteOperation<{ _id: number | string; n?: number; tag?: string; replaced?: boolean }> => {
              const n = round * 50 + j;
              const target = (n * 7) % 700;
              switch (n % 5) {
                case 0:
                  return { updateOne: { filter: { _id: target }, update: { $inc: { n: 1 } }, upsert: true } };
                case 1:
                  return { replaceOne: { filter: { _id: target }, replacement: { n: -n, replaced: true }, upsert: true } };
                case 2:
                  return { deleteOne: { filter: { _id: target } } };
                case 3:
                  return { insertOne: { document: { _id: `r${n}`, n } } };
                default:
                  return { updateOne: { filter: { _id: target }, update: { $set: { tag: `round ${round}` } } } };
              }
            },
          );
          await sourceClient.db('b').collection<{ _id: number | string }>('hot').bulkWrite(operations, { ordered: false });
        }
      })();
      await host.waitFor((line) => line.jobId === id && (line.changesApplied ?? 0) >= 300, '300 applied changes');
      await host.kill9();
      const killedInTail = await checkpoints.load();
      assert.equal(killedInTail?.phase, 'TAILING', 'killed during the tail');
      host = runHost();
      await writer;

      // Writes stopped: ready for cutover, cut over, COMPLETE.
      await waitFor(async () => (await migration(id)).readyForCutover, 'readyForCutover', 60_000);
      const ready = await migration(id);
      assert.equal(ready.status, 'WORKING');
      assert.equal(typeof ready.lagTimeSeconds, 'number', 'the lag is measured while the migration runs');
      const cutover = await atlas.request('PUT', `${base()}/${id}/cutover`, undefined, { accept: V2_2023 });
      assert.equal(cutover.status, 202, cutover.text);
      await waitFor(async () => (await migration(id)).status === 'COMPLETE', 'COMPLETE', 60_000);
      assert.deepEqual(await migration(id), {
        _id: id,
        lagTimeSeconds: null,
        migrationHosts: [HOSTNAME],
        readyForCutover: false,
        status: 'COMPLETE',
      });
      await assertIdentical(source.url, destination.url);
      const completed = (await eventsOf(opsManager, sourceOrgId)).find((event) => event.eventTypeName === 'LIVE_MIGRATION_COMPLETED');
      assert.ok(completed !== undefined, 'the source organization records the migration COMPLETE');
      await host.stop();
    },
  );
});

function json<T>(response: TestResponse): T {
  assert.ok(response.status < 300, `HTTP ${response.status}: ${response.text}`);
  return response.json() as T;
}
