/**
 * Servers that refuse the migration, for real: a source and a destination that require SCRAM-SHA-256
 * authentication and enforce their users' roles (SecantusDB started with `--auth`).
 *
 * - Wrong source credentials: the validation and the migration end FAILED with the record's
 *   "The username or password is not correct".
 * - A destination whose user may read but not write: the migration ends FAILED saying the destination
 *   refused it (GET's errorMessage, the target's page, both organizations' events), its slots are
 *   free, and once the user may write a new migration into the same cluster completes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MongoClient } from 'mongodb';
import { MONGODB_SERVERS_SKIP_REASON, startMongoServer, withUser, type MongoTestServer } from '../support/mongodb-servers.js';
import { LinkedPair } from './linked-pair.js';

const SOURCE_ADMIN = { user: 'migrator', pwd: 'right-password', roles: ['root'] };
const DESTINATION_ADMIN = { user: 'dbadmin', pwd: 'admin-password', roles: ['root'] };
// Reads and lists (what a validation asks), writes nothing.
const DESTINATION_READER = { user: 'loader', pwd: 'loader-password', roles: ['readAnyDatabase', 'clusterMonitor'] };

describe('servers that refuse the migration', { skip: MONGODB_SERVERS_SKIP_REASON }, () => {
  let source: MongoTestServer;
  let destination: MongoTestServer;
  let pair: LinkedPair;

  before(async () => {
    [source, destination] = await Promise.all([
      startMongoServer({ users: [SOURCE_ADMIN] }),
      startMongoServer({ users: [DESTINATION_ADMIN, DESTINATION_READER] }),
    ]);
    const seed = new MongoClient(withUser(source.url, SOURCE_ADMIN));
    try {
      await seed
        .db('shop')
        .collection<{ _id: number; total: number }>('orders')
        .insertMany(Array.from({ length: 300 }, (_, i) => ({ _id: i, total: i * 3 })));
    } finally {
      await seed.close();
    }
    pair = await LinkedPair.start();
    // The deployment's connection string has no credentials: the request gives them (managedAuthentication false).
    await pair.addDeployment('rs0', source.url);
    await pair.addCluster('Cluster0', withUser(destination.url, DESTINATION_READER));
    await pair.startHost();
  });

  after(async () => {
    await pair?.close();
    await Promise.all([source?.stop(), destination?.stop()]);
  });

  it('fails a validation and a migration given the wrong source password, with the record message', async () => {
    const wrong = pair.request('rs0', 'Cluster0', { credentials: { username: SOURCE_ADMIN.user, password: 'wrong-password' } });
    assert.deepEqual(await pair.validate(wrong), { status: 'FAILED', errorMessage: 'The username or password is not correct' });
    const right = pair.request('rs0', 'Cluster0', { credentials: { username: SOURCE_ADMIN.user, password: SOURCE_ADMIN.pwd } });
    assert.deepEqual(await pair.validate(right), { status: 'SUCCESS', errorMessage: null });

    const id = await pair.create(wrong);
    const failed = await pair.waitForMigration(id, (view) => view.status !== 'NEW' && view.status !== 'WORKING', 'to end');
    assert.deepEqual(failed, {
      _id: id,
      errorMessage: 'The username or password is not correct',
      lagTimeSeconds: null,
      migrationHosts: ['mh1.example.internal'],
      readyForCutover: false,
      status: 'FAILED',
    });
  });

  it('fails a migration the destination refuses to write, frees its slots, and completes one once the destination user may write', async () => {
    const body = pair.request('rs0', 'Cluster0', { credentials: { username: SOURCE_ADMIN.user, password: SOURCE_ADMIN.pwd } });
    const refused = await pair.create(body);
    const failed = await pair.waitForMigration(refused, (view) => view.status === 'FAILED', 'FAILED');
    assert.equal(failed.readyForCutover, false);
    assert.match(failed.errorMessage ?? '', /^The destination cluster refused the migration's \w+ command: .*not authorized/);
    for (const side of ['target', 'source'] as const) {
      const event = (await pair.events(side)).find(
        (candidate) => candidate.eventTypeName === 'LIVE_MIGRATION_FAILED' && JSON.stringify(candidate).includes(refused),
      );
      assert.ok(event !== undefined, `a LIVE_MIGRATION_FAILED event in the ${side} organization`);
      assert.match(JSON.stringify(event), /The destination cluster refused the migration/);
    }

    // The operator gives the destination's user the right to write; the same cluster takes a new migration.
    const admin = new MongoClient(withUser(destination.url, DESTINATION_ADMIN));
    try {
      await admin.db('admin').command({ updateUser: DESTINATION_READER.user, roles: ['readWriteAnyDatabase', 'clusterMonitor'] });
    } finally {
      await admin.close();
    }
    const retried = await pair.create({ ...body, dropDestinationData: true });
    await pair.waitForMigration(retried, (view) => view.readyForCutover, 'readyForCutover');
    const cutover = await pair.cutover(retried);
    assert.equal(cutover.status, 202, cutover.text);
    await pair.waitForMigration(retried, (view) => view.status === 'COMPLETE', 'COMPLETE');
    const check = new MongoClient(withUser(destination.url, DESTINATION_ADMIN));
    try {
      assert.equal(await check.db('shop').collection('orders').countDocuments(), 300);
    } finally {
      await check.close();
    }
  });
});
