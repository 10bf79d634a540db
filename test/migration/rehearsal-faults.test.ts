/**
 * Rehearsal faults on a migration run by a real migration host between two SecantusDB servers: a
 * failure at the copy and at the tail (FAILED with the reason, the host stops, the next migration runs),
 * and a held lag (not ready, cutover refused) that, once cleared, lets the migration be cut over.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MongoClient } from 'mongodb';
import { MONGODB_SERVERS_SKIP_REASON, startMongoServers, type MongoTestServer } from '../support/mongodb-servers.js';
import { LinkedPair } from './linked-pair.js';

describe('rehearsal faults on a running migration', { skip: MONGODB_SERVERS_SKIP_REASON }, () => {
  let source: MongoTestServer;
  let destination: MongoTestServer;
  let pair: LinkedPair;

  before(async () => {
    [source, destination] = (await startMongoServers(2)) as [MongoTestServer, MongoTestServer];
    const seed = new MongoClient(source.url);
    try {
      // Enough batches that the host reports COPYING before the copy ends.
      const docs = Array.from({ length: 3000 }, (_, i) => ({ _id: i, item: `item ${i}`, pad: 'x'.repeat(200) }));
      await seed.db('shop').collection<{ _id: number }>('items').insertMany(docs);
    } finally {
      await seed.close();
    }
    pair = await LinkedPair.start();
    await pair.addDeployment('rs0', source.url);
    await pair.addCluster('Cluster0', destination.url);
    await pair.startHost();
  });

  after(async () => {
    await pair?.close();
    await Promise.all([source?.stop(), destination?.stop()]);
  });

  const faults = () => pair.server.livelink.services.liveMigrations;
  const ended = (status: string) => status !== 'NEW' && status !== 'WORKING';

  it('fails at the copy and at the tail with the reason, the host stops each, and the next migration runs', async () => {
    // The fault is set before the host starts: the migration fails when the host reports COPYING.
    const atCopy = await pair.create(pair.request('rs0', 'Cluster0'));
    await faults().failAtPhase(atCopy, 'COPY', 'Disk full on the destination (rehearsal)');
    const copyFailed = await pair.waitForMigration(atCopy, (view) => ended(view.status), 'to end');
    assert.deepEqual([copyFailed.status, copyFailed.errorMessage], ['FAILED', 'Disk full on the destination (rehearsal)']);
    const event = (await pair.events('target')).find(
      (candidate) => candidate.eventTypeName === 'LIVE_MIGRATION_FAILED' && JSON.stringify(candidate).includes(atCopy),
    );
    assert.match(JSON.stringify(event), /Disk full on the destination \(rehearsal\)/);

    const atTail = await pair.create(pair.request('rs0', 'Cluster0', { drop: true }));
    await faults().failAtPhase(atTail, 'TAIL', 'The oplog rolled over (rehearsal)');
    const tailFailed = await pair.waitForMigration(atTail, (view) => ended(view.status), 'to end');
    assert.deepEqual([tailFailed.status, tailFailed.errorMessage], ['FAILED', 'The oplog rolled over (rehearsal)']);
    // It failed once the copy was over: every document is on the destination.
    const check = new MongoClient(destination.url);
    try {
      assert.equal(await check.db('shop').collection('items').countDocuments(), 3000);
    } finally {
      await check.close();
    }
    assert.deepEqual(await faults().listFaults(), []);
  });

  it('holds the lag: not ready and the cutover refused; once cleared, ready again and cut over', async () => {
    const id = await pair.create(pair.request('rs0', 'Cluster0', { drop: true }));
    await pair.waitForMigration(id, (view) => view.readyForCutover, 'readyForCutover');
    await faults().holdLag(id, 30);
    const held = await pair.migration(id);
    assert.deepEqual([held.status, held.lagTimeSeconds, held.readyForCutover], ['WORKING', 30, false]);
    const refused = await pair.cutover(id);
    assert.equal(refused.status, 400, refused.text);
    assert.equal((refused.json() as { errorCode: string }).errorCode, 'LIVE_MIGRATION_NOT_READY_FOR_CUTOVER');
    assert.equal(await faults().clearFaults(), 1);
    // The host's measured lag shows again (whatever it is on a loaded machine), and ready, as it was.
    const measured = await pair.migration(id);
    assert.equal(measured.readyForCutover, true);
    assert.equal(typeof measured.lagTimeSeconds, 'number');
    const cutover = await pair.cutover(id);
    assert.equal(cutover.status, 202, cutover.text);
    await pair.waitForMigration(id, (view) => view.status === 'COMPLETE', 'COMPLETE');
  });
});
