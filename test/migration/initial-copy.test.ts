/**
 * The initial copy between two real servers: several databases and collections with their options
 * (capped, validator, collation, clustered) and indexes (compound, unique, TTL, partial, sparse,
 * 2dsphere, collation), _ids of mixed types, a view re-created as a definition; time-series and
 * system collections skipped and reported; then cutover, and the destination equals the source.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { Decimal128, Int32, Long, MongoClient, ObjectId } from 'mongodb';
import { FileCheckpointStore } from '../../src/features/live-migrations/data-plane/file-checkpoint-store.js';
import { runMigration } from '../../src/features/live-migrations/data-plane/run-migration.js';
import { MONGODB_SERVERS_SKIP_REASON, startMongoServer, startMongoServers, type MongoTestServer } from '../support/mongodb-servers.js';
import { waitFor } from '../support/wait-for.js';
import { assertIdentical, emptyDeployment, type AnyDocument } from './deployment-snapshot.js';

const FUTURE = new Date(Date.UTC(2100, 0, 1));

async function seedSource(url: string): Promise<void> {
  const client = new MongoClient(url);
  try {
    const shop = client.db('shop');
    const orders = shop.collection('orders');
    await orders.createIndex({ customer: 1, placedAt: -1 }, { name: 'customer_recent' });
    await orders.createIndex({ sku: 1 }, { unique: true, name: 'sku_unique' });
    await orders.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 3600 });
    await orders.createIndex({ coupon: 1 }, { sparse: true });
    await orders.createIndex({ total: 1 }, { partialFilterExpression: { total: { $gt: 100 } }, name: 'big_orders' });
    await orders.insertMany(
      Array.from({ length: 1200 }, (_, i) => ({
        customer: `c${i % 37}`,
        sku: `sku-${i}`,
        placedAt: new Date(Date.UTC(2024, 0, 1) + i * 60_000),
        expiresAt: FUTURE,
        total: i % 250,
        ...(i % 5 === 0 ? { coupon: `SAVE${i % 3}` } : {}),
        lines: [
          { item: i, qty: new Int32(i % 4) },
          { item: i + 1, qty: new Long(2) },
        ],
        price: Decimal128.fromString(`${i}.99`),
      })),
    );

    await shop.createCollection('events', { capped: true, size: 1_000_000, max: 5000 });
    await shop.collection('events').insertMany(Array.from({ length: 200 }, (_, i) => ({ seq: i, kind: i % 2 === 0 ? 'view' : 'click' })));

    // _ids of every kind: the copy walks the _id index in BSON order and resumes in it.
    const mixed: AnyDocument[] = [];
    for (let i = 0; i < 60; i++) {
      mixed.push({ _id: i, n: i }, { _id: `s${i}`, n: i }, { _id: new ObjectId(), n: i }, { _id: i + 0.5, n: i }, { _id: { k: i }, n: i });
    }
    await shop.collection<AnyDocument>('mixed_ids').insertMany(mixed);

    // Documents the later validator refuses: the copy must bypass validation.
    await shop
      .collection('products')
      .insertMany(Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? { name: `p${i}` } : { label: `legacy ${i}` })));
    await shop.command({
      collMod: 'products',
      validator: { $jsonSchema: { required: ['name'] } },
      validationLevel: 'moderate',
      validationAction: 'error',
    });

    await shop.createCollection('recent_orders', {
      viewOn: 'orders',
      pipeline: [{ $match: { total: { $gt: 200 } } }, { $sort: { placedAt: -1 } }],
    });
    await shop.createCollection('metrics', { timeseries: { timeField: 'at', metaField: 'host' } });
    await shop.collection('metrics').insertMany([{ at: new Date(), host: 'a', cpu: 1 }]);

    const crm = client.db('crm');
    await crm.createCollection('people', { collation: { locale: 'en', strength: 2 } });
    const people = crm.collection<AnyDocument>('people');
    await people.createIndex({ lastName: 1, firstName: 1 }, { collation: { locale: 'fr' }, name: 'name_fr' });
    await people.createIndex({ home: '2dsphere' });
    await people.insertMany(
      Array.from({ length: 400 }, (_, i) => ({
        _id: `person-${String(i).padStart(4, '0')}`,
        firstName: `First${i}`,
        lastName: i % 2 === 0 ? `Émile${i % 10}` : `emile${i % 10}`,
        home: { type: 'Point', coordinates: [(i % 360) - 180, (i % 180) - 90] },
      })),
    );
    await crm.createCollection('audit', { clusteredIndex: { key: { _id: 1 }, unique: true } });
    await crm
      .collection<AnyDocument>('audit')
      .insertMany(Array.from({ length: 150 }, (_, i) => ({ _id: i * 3, at: new Date(Date.UTC(2025, 0, 1, 0, i)) })));
    await crm.collection<AnyDocument>('system.js').insertOne({ _id: 'helper', value: 'function () { return 1; }' });
  } finally {
    await client.close();
  }
}

describe('live migration: the initial copy', { skip: MONGODB_SERVERS_SKIP_REASON }, () => {
  let source: MongoTestServer;
  let destination: MongoTestServer;
  let folder: string;

  before(async () => {
    [source, destination] = (await startMongoServers(2)) as [MongoTestServer, MongoTestServer];
  });
  after(async () => {
    await Promise.all([source?.stop(), destination?.stop()]);
  });
  beforeEach(async () => {
    folder = mkdtempSync(join(tmpdir(), 'livelink-migration-'));
    await Promise.all([emptyDeployment(source.url), emptyDeployment(destination.url)]);
  });
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it('copies every database and collection with options, indexes and views, skips time-series and system collections, and cuts over identical', async () => {
    await seedSource(source.url);
    const store = new FileCheckpointStore(join(folder, 'checkpoint.json'));
    const migration = runMigration({
      source: source.url,
      destination: destination.url,
      checkpointStore: store,
      batchSize: 100,
      maxAwaitTimeMS: 200,
    });
    await waitFor(async () => migration.progress().phase === 'TAILING', 'the copy to finish', 30_000);
    await migration.cutover();
    assert.equal(await migration.done, 'COMPLETE');

    const snapshot = await assertIdentical(source.url, destination.url);
    assert.deepEqual(Object.keys(snapshot).sort(), [
      'crm.audit',
      'crm.people',
      'shop.events',
      'shop.mixed_ids',
      'shop.orders',
      'shop.products',
      'shop.recent_orders',
    ]);
    assert.equal(snapshot['shop.orders']?.count, 1200);
    assert.equal(snapshot['shop.mixed_ids']?.count, 300);
    assert.match(snapshot['shop.orders']?.indexes.find((spec) => spec.includes('sku_unique')) ?? '', /"unique":true/);

    const progress = migration.progress();
    assert.equal(progress.phase, 'COMPLETE');
    assert.equal(progress.lagSeconds, 0);
    assert.equal(progress.documentsCopied, 1200 + 200 + 300 + 50 + 400 + 150);
    assert.deepEqual(
      progress.skipped.map((entry) => entry.ns),
      ['crm.system.js', 'shop.metrics'],
    );
    assert.match(progress.skipped.find((entry) => entry.ns === 'shop.metrics')?.reason ?? '', /time-series/);

    const client = new MongoClient(destination.url);
    const sourceClient = new MongoClient(source.url);
    try {
      const names = (await client.db('shop').listCollections().toArray()).map((info) => info.name);
      assert.ok(!names.includes('metrics'), 'the time-series collection is not copied');
      assert.equal(await client.db('crm').collection('system.js').countDocuments(), 0, 'system collections are not copied');
      // The view answers on the destination as on the source.
      const viewCount = await client.db('shop').collection('recent_orders').countDocuments();
      assert.ok(viewCount > 0);
      assert.equal(viewCount, await sourceClient.db('shop').collection('recent_orders').countDocuments());
    } finally {
      await Promise.all([client.close(), sourceClient.close()]);
    }
    const checkpoint = await store.load();
    assert.equal(checkpoint?.phase, 'COMPLETE');
    assert.ok(checkpoint?.collections.every((entry) => entry.done));
  });

  it('refuses a destination that already holds a namespace of the source, unless dropDestinationData', async () => {
    const sourceClient = new MongoClient(source.url);
    const destinationClient = new MongoClient(destination.url);
    try {
      await sourceClient
        .db('shop')
        .collection<AnyDocument>('orders')
        .insertMany(Array.from({ length: 30 }, (_, i) => ({ _id: i, n: i })));
      await destinationClient
        .db('shop')
        .collection<AnyDocument>('orders')
        .insertMany([{ _id: 1000, stale: true }]);
      await destinationClient.db('leftovers').collection<AnyDocument>('old').insertOne({ _id: 1 });

      const refused = runMigration({
        source: source.url,
        destination: destination.url,
        checkpointStore: new FileCheckpointStore(join(folder, 'refused.json')),
      });
      await assert.rejects(refused.done, (error: Error & { code?: string }) => {
        assert.equal(error.code, 'DESTINATION_NOT_EMPTY');
        assert.match(error.message, /shop\.orders/);
        return true;
      });
      assert.equal(await new FileCheckpointStore(join(folder, 'refused.json')).load(), undefined, 'nothing is recorded');

      const migration = runMigration({
        source: source.url,
        destination: destination.url,
        checkpointStore: new FileCheckpointStore(join(folder, 'dropping.json')),
        dropDestinationData: true,
        maxAwaitTimeMS: 200,
      });
      await waitFor(async () => migration.progress().phase === 'TAILING', 'the copy to finish');
      await migration.cutover();
      await assertIdentical(source.url, destination.url);
      const databases = (await destinationClient.db('admin').admin().listDatabases({ nameOnly: true })).databases.map(
        (entry) => entry.name,
      );
      assert.ok(!databases.includes('leftovers'), 'dropDestinationData drops databases the source does not have too');
      assert.equal(await destinationClient.db('shop').collection('orders').countDocuments({ stale: true }), 0);
    } finally {
      await Promise.all([sourceClient.close(), destinationClient.close()]);
    }
  });

  it('refuses a source that is not a replica set: it has no change streams', async () => {
    const standalone = await startMongoServer({ standalone: true });
    try {
      const migration = runMigration({
        source: standalone.url,
        destination: destination.url,
        checkpointStore: new FileCheckpointStore(join(folder, 'standalone.json')),
      });
      await assert.rejects(migration.done, (error: Error & { code?: string }) => {
        assert.equal(error.code, 'SOURCE_NOT_REPLICA_SET');
        assert.match(error.message, /not a replica set/);
        return true;
      });
      // A migration that failed does not cut over.
      await assert.rejects(migration.cutover(), (error: Error & { code?: string }) => error.code === 'MIGRATION_STOPPED');
    } finally {
      await standalone.stop();
    }
  });
});
