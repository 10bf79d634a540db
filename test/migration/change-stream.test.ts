/**
 * Changes made on the source while the migration runs: writes of every kind during the copy and
 * during the tail, a document inserted and deleted during the copy, a rename during the copy,
 * collection and index changes during the tail, and a cutover that waits until every change is
 * applied. Each ends with the destination identical to the source (document hashes and index
 * definitions per namespace).
 *
 * The writes "during the copy" are started from the progress callback at a known point of the copy
 * (a namespace and a document count), and the test checks afterwards that the copy was still at
 * that namespace when they had finished, so no timing is assumed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { MongoClient } from 'mongodb';
import { FileCheckpointStore } from '../../src/features/live-migrations/data-plane/file-checkpoint-store.js';
import { runMigration, type LiveMigration, type MigrationProgress } from '../../src/features/live-migrations/data-plane/run-migration.js';
import { MONGODB_SERVERS_SKIP_REASON, startMongoServers, type MongoTestServer } from '../support/mongodb-servers.js';
import { waitFor } from '../support/wait-for.js';
import { assertIdentical, emptyDeployment, type AnyDocument, type KeyedDocument } from './deployment-snapshot.js';

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

describe('live migration: changes during the copy and the tail', { skip: MONGODB_SERVERS_SKIP_REASON }, () => {
  let source: MongoTestServer;
  let destination: MongoTestServer;
  let sourceClient: MongoClient;
  let destinationClient: MongoClient;
  let folder: string;

  before(async () => {
    [source, destination] = (await startMongoServers(2)) as [MongoTestServer, MongoTestServer];
    sourceClient = new MongoClient(source.url);
    destinationClient = new MongoClient(destination.url);
  });
  after(async () => {
    await Promise.all([sourceClient?.close(), destinationClient?.close()]);
    await Promise.all([source?.stop(), destination?.stop()]);
  });
  beforeEach(async () => {
    folder = mkdtempSync(join(tmpdir(), 'livelink-migration-'));
    await Promise.all([emptyDeployment(source.url), emptyDeployment(destination.url)]);
  });
  // A failed test must not leave its migration writing into the next test's servers.
  let running: { migration: LiveMigration; controller: AbortController }[] = [];
  afterEach(async () => {
    for (const { controller } of running) controller.abort();
    await Promise.all(running.map(({ migration }) => migration.done.catch(() => undefined)));
    running = [];
    rmSync(folder, { recursive: true, force: true });
  });

  const collection = (db: string, name: string) => sourceClient.db(db).collection<KeyedDocument>(name);
  const insertInto = (db: string, name: string) => sourceClient.db(db).collection<AnyDocument>(name);

  function start(onProgress?: (progress: MigrationProgress) => void | Promise<void>, controller = new AbortController()): LiveMigration {
    const migration = runMigration({
      signal: controller.signal,
      source: source.url,
      destination: destination.url,
      checkpointStore: new FileCheckpointStore(join(folder, 'checkpoint.json')),
      batchSize: 100,
      maxAwaitTimeMS: 200,
      ...(onProgress === undefined ? {} : { onProgress }),
    });
    running.push({ migration, controller });
    return migration;
  }

  it('applies inserts, updates, replacements and deletes made during the copy and the tail; a document inserted and deleted during the copy ends absent', async () => {
    await insertInto('a', 'first').insertMany(range(0, 1500).map((i) => ({ _id: i, v: 0, tags: ['seed'] })));
    await insertInto('b', 'second').insertMany(range(0, 300).map((i) => ({ _id: i, v: 0 })));
    await insertInto('c', 'renamed_during_copy').insertMany(range(0, 400).map((i) => ({ _id: i, moved: false })));
    await insertInto('d', 'third').insertMany(range(0, 1500).map((i) => ({ _id: i, w: 'x'.repeat(50) })));

    let early: Promise<{ cutoverRefusal: unknown; copyingAfterGhost: string | undefined; phaseAfterWrites: string }> | undefined;
    let late: Promise<{ copyingAfterGhost: string | undefined; ghostOnDestination: boolean }> | undefined;

    // Copy order is (database, collection): a.first, b.second, c.renamed_during_copy, d.third.
    // What each step needs is checked right after it: the ghost inserted before b.second's copy
    // began, deleted after that copy had copied it, and every other write while the copy still ran.
    const whileCopyingFirst = async () => {
      const cutoverRefusal = await migration.cutover().then(
        () => undefined,
        (error: unknown) => error,
      );
      await insertInto('b', 'second').insertOne({ _id: 'ghost', v: 'inserted during the copy, deleted during the copy' });
      const copyingAfterGhost = migration.progress().copying;
      await sourceClient.db('admin').command({ renameCollection: 'c.renamed_during_copy', to: 'c.zz_after_rename' });
      const first = collection('a', 'first');
      await first.updateMany({ _id: { $lt: 50 } }, { $inc: { v: 1 }, $push: { tags: 'copied, then updated' } });
      await first.updateMany({ _id: { $gte: 1400, $lt: 1450 } }, { $set: { v: 'updated before the copy reached it' } });
      await insertInto('a', 'first').replaceOne({ _id: 10 }, { replaced: true, during: 'copy' });
      await insertInto('a', 'first').replaceOne({ _id: 1450 }, { replaced: true, during: 'copy, ahead of the cursor' });
      await first.deleteMany({ _id: { $gte: 20, $lt: 30 } });
      await first.deleteMany({ _id: { $gte: 1460, $lt: 1470 } });
      await insertInto('a', 'first').insertMany(range(1500, 1550).map((i) => ({ _id: i, v: 'inserted during the copy' })));
      await collection('c', 'zz_after_rename').updateMany({ _id: { $lt: 100 } }, { $set: { moved: true } });
      await collection('c', 'zz_after_rename').deleteMany({ _id: { $gte: 390 } });
      return { cutoverRefusal, copyingAfterGhost, phaseAfterWrites: migration.progress().phase };
    };
    const whileCopyingThird = async () => {
      const ghostOnDestination = (await destinationClient.db('b').collection<AnyDocument>('second').findOne({ _id: 'ghost' })) !== null;
      await collection('b', 'second').deleteOne({ _id: 'ghost' });
      const copyingAfterGhost = migration.progress().copying;
      await collection('b', 'second').updateMany({ _id: { $lt: 100 } }, { $set: { v: 'updated after its copy' } });
      await collection('b', 'second').deleteMany({ _id: { $gte: 250 } });
      await collection('d', 'third').updateOne({ _id: 1499 }, { $set: { w: 'last, updated ahead of the cursor' } });
      return { copyingAfterGhost, ghostOnDestination };
    };

    // The callbacks above run from this migration's progress, so after it exists. Returning their promise
    // holds the copy at that batch until the writes are done, so they happen during the copy on any machine.
    const migration = start(async (progress) => {
      if (progress.phase !== 'COPYING') return;
      if (early === undefined && progress.copying === 'a.first' && progress.documentsCopied >= 100) {
        early = whileCopyingFirst();
        await early;
      }
      if (late === undefined && progress.copying === 'd.third' && progress.documentsCopied >= 1500 + 300 + 200) {
        late = whileCopyingThird();
        await late;
      }
    });
    await waitFor(async () => migration.progress().phase === 'TAILING', 'the copy to finish', 30_000);
    const earlyResult = await early;
    const lateResult = await late;
    assert.equal(earlyResult?.copyingAfterGhost, 'a.first', 'the ghost was inserted before the copy of b.second began');
    assert.equal(earlyResult?.phaseAfterWrites, 'COPYING', 'the first writes finished during the copy');
    assert.equal(lateResult?.copyingAfterGhost, 'd.third', 'the ghost was deleted during the copy, after b.second was copied');
    assert.equal(lateResult?.ghostOnDestination, true, 'the copy had copied the ghost before it was deleted');
    assert.equal((earlyResult?.cutoverRefusal as { code?: string } | undefined)?.code, 'NOT_READY_FOR_CUTOVER');

    // During the tail.
    const first = collection('a', 'first');
    await first.updateMany({ _id: { $gte: 100, $lt: 200 } }, { $set: { flag: true }, $unset: { tags: '' } });
    await first.updateOne({ _id: 300 }, { $push: { tags: { $each: ['a', 'b', 'c'] } } });
    await first.updateOne({ _id: 300 }, { $pop: { tags: 1 } });
    await insertInto('a', 'first').replaceOne({ _id: 301 }, { replaced: 'during the tail' });
    await first.deleteMany({ _id: { $gte: 400, $lt: 450 } });
    await insertInto('a', 'first').insertMany(range(2000, 2100).map((i) => ({ _id: i, v: 'inserted during the tail' })));
    await first.updateOne({ _id: 'upserted' }, { $set: { v: 'upsert' } }, { upsert: true });
    await first.updateOne({ _id: 500 }, { $set: { v: 'updated, then deleted' } });
    await first.deleteOne({ _id: 500 });
    await insertInto('a', 'first').insertOne({ _id: 'brief', v: 'inserted, then deleted during the tail' });
    await first.deleteOne({ _id: 'brief' });
    await first.updateOne({ _id: 600 }, { $set: { 'nested.field': 1, 'a.b.c': [1, 2] } });
    await first.updateOne({ _id: 600 }, { $set: { 'a.b.c.1': 3 } });

    await migration.cutover();
    assert.equal(await migration.done, 'COMPLETE');
    await assertIdentical(source.url, destination.url);

    const b = destinationClient.db('b').collection<AnyDocument>('second');
    assert.equal(await b.findOne({ _id: 'ghost' }), null, 'the document inserted and deleted during the copy is absent');
    assert.equal(await destinationClient.db('a').collection<AnyDocument>('first').findOne({ _id: 500 }), null);
    assert.equal(await destinationClient.db('c').collection<AnyDocument>('zz_after_rename').countDocuments(), 390);
    assert.equal(await destinationClient.db('c').collection<AnyDocument>('renamed_during_copy').countDocuments(), 0);
  });

  it('applies collection and index changes made during the tail', async () => {
    await collection('a', 'first').createIndex({ v: 1 }, { name: 'v_1' });
    await insertInto('a', 'first').insertMany(range(0, 200).map((i) => ({ _id: i, v: i % 7, email: `u${i}@example.com` })));
    await insertInto('b', 'second').insertMany(range(0, 50).map((i) => ({ _id: i, name: `n${i}` })));
    await insertInto('d', 'third').insertMany(range(0, 50).map((i) => ({ _id: i })));

    const migration = start();
    await waitFor(async () => migration.progress().phase === 'TAILING', 'the copy to finish');

    const e = sourceClient.db('e');
    await e.createCollection('created', { validator: { $jsonSchema: { required: ['email'] } }, collation: { locale: 'de', strength: 1 } });
    const created = e.collection<KeyedDocument>('created');
    await created.createIndex({ email: 1 }, { unique: true, name: 'email_unique' });
    await e.collection<AnyDocument>('created').insertMany([
      { _id: 1, email: 'x@example.com' },
      { _id: 2, email: 'y@example.com' },
    ]);
    // A swap of unique values: the destination sees the documents at different instants.
    await created.updateOne({ _id: 1 }, { $set: { email: 'tmp@example.com' } });
    await created.updateOne({ _id: 2 }, { $set: { email: 'x@example.com' } });
    await created.updateOne({ _id: 1 }, { $set: { email: 'y@example.com' } });
    await e.createCollection('series', { timeseries: { timeField: 'at' } });
    await e.collection('series').insertOne({ at: new Date(), reading: 1 });

    await collection('a', 'first').createIndex({ email: 1, v: -1 }, { name: 'email_v' });
    await collection('a', 'first').dropIndex('v_1');
    await sourceClient.db('b').command({ collMod: 'second', validator: { name: { $type: 'string' } }, validationAction: 'warn' });
    await insertInto('b', 'second').insertOne({ _id: 'after collMod', name: 'n' });
    await sourceClient.db('admin').command({ renameCollection: 'b.second', to: 'b.second_renamed' });
    await collection('b', 'second_renamed').updateOne({ _id: 1 }, { $set: { name: 'after the rename' } });
    await collection('d', 'third').drop();
    await insertInto('f', 'short_lived').insertMany([{ _id: 1 }, { _id: 2 }]);
    await sourceClient.db('f').dropDatabase();
    await sourceClient.db('g').createCollection('view_of_first', { viewOn: 'first', pipeline: [{ $match: { v: 3 } }] });

    await migration.cutover();
    await assertIdentical(source.url, destination.url);
    const names = (await destinationClient.db('e').listCollections().toArray()).map((info) => info.name).sort();
    assert.deepEqual(names, ['created'], 'the time-series collection created during the tail is not copied');
    const databases = (await destinationClient.db('admin').admin().listDatabases({ nameOnly: true })).databases.map((entry) => entry.name);
    assert.ok(!databases.includes('d') && !databases.includes('f'));
  });

  it('cutover waits until every change made before it is applied: lag 0', async () => {
    await insertInto('a', 'first').insertMany(range(0, 500).map((i) => ({ _id: i, n: 0 })));
    const migration = start();
    await waitFor(async () => migration.progress().phase === 'TAILING', 'the copy to finish');
    await waitFor(async () => migration.progress().caughtUp, 'the tail to catch up');

    // The user's last writes, acknowledged by the source; then writes stop and cutover is asked.
    const writes = range(0, 2000).map((i) => ({ updateOne: { filter: { _id: i % 500 }, update: { $inc: { n: 1 } } } }));
    await collection('a', 'first').bulkWrite(writes, { ordered: true });
    const atRequest = migration.progress();
    await migration.cutover();

    const atEnd = migration.progress();
    assert.ok(atRequest.changesApplied < 2000, `the migration was behind when cutover was asked (${atRequest.changesApplied} applied)`);
    assert.equal(atEnd.phase, 'COMPLETE');
    assert.equal(atEnd.lagSeconds, 0);
    assert.ok(atEnd.changesApplied >= 2000, `every change was applied (${atEnd.changesApplied})`);
    await assertIdentical(source.url, destination.url);
    const checkpoint = await new FileCheckpointStore(join(folder, 'checkpoint.json')).load();
    assert.equal(checkpoint?.phase, 'COMPLETE');
  });

  it('stops at its abort signal, and a new run goes on from the checkpoint', async () => {
    await insertInto('a', 'first').insertMany(range(0, 300).map((i) => ({ _id: i, n: 0 })));
    const controller = new AbortController();
    const stopped = start(undefined, controller);
    await waitFor(async () => stopped.progress().phase === 'TAILING', 'the copy to finish');
    await collection('a', 'first').updateMany({}, { $inc: { n: 1 } });
    controller.abort();
    assert.equal(await stopped.done, 'STOPPED');
    await assert.rejects(stopped.cutover(), (error: Error & { code?: string }) => error.code === 'MIGRATION_STOPPED');
    assert.equal((await new FileCheckpointStore(join(folder, 'checkpoint.json')).load())?.phase, 'TAILING');

    await collection('a', 'first').deleteMany({ _id: { $lt: 10 } });
    const resumed = start();
    await waitFor(async () => resumed.progress().phase === 'TAILING', 'the resumed tail');
    assert.equal(resumed.progress().documentsCopied, 300, 'nothing is copied again');
    await resumed.cutover();
    await assertIdentical(source.url, destination.url);
  });
});
