/**
 * How the tail writes a batch of changes to the destination: whatever the interleaving of inserts,
 * updates and deletes in the batch, one command per kind of write and namespace, not one per run of
 * the same kind (each command is a round trip, and on a busy destination the round trips, not the
 * writes, decided how far the tail fell behind). The end state is the source's.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MongoClient, type ChangeStreamDocument, type CommandStartedEvent } from 'mongodb';
import { ChangeApplier } from '../../src/features/live-migrations/data-plane/change-applier.js';
import { currentOperationTime } from '../../src/features/live-migrations/data-plane/deployment.js';
import { NamespaceCatalog } from '../../src/features/live-migrations/data-plane/namespaces.js';
import { MONGODB_SERVERS_SKIP_REASON, startMongoServers, type MongoTestServer } from '../support/mongodb-servers.js';
import { assertIdentical, emptyDeployment } from './deployment-snapshot.js';

const WRITE_COMMANDS = new Set(['insert', 'update', 'delete']);

interface Item {
  _id: number;
  n: number;
}

describe('live migration: the change applier', { skip: MONGODB_SERVERS_SKIP_REASON }, () => {
  let source: MongoTestServer;
  let destination: MongoTestServer;
  let sourceClient: MongoClient;
  let destinationClient: MongoClient;

  before(async () => {
    [source, destination] = (await startMongoServers(2)) as [MongoTestServer, MongoTestServer];
    await Promise.all([emptyDeployment(source.url), emptyDeployment(destination.url)]);
    sourceClient = new MongoClient(source.url);
    destinationClient = new MongoClient(destination.url, { monitorCommands: true });
  });
  after(async () => {
    await Promise.all([sourceClient?.close(), destinationClient?.close()]);
    await Promise.all([source?.stop(), destination?.stop()]);
  });

  it('writes a batch of interleaved inserts, updates and deletes with one command per kind, ending as the source', async () => {
    const existing = Array.from({ length: 40 }, (_, i) => ({ _id: i, n: i }));
    await sourceClient.db('app').collection<Item>('items').insertMany(existing);
    await destinationClient.db('app').collection<Item>('items').insertMany(existing);

    const startAtOperationTime = await currentOperationTime(sourceClient);
    const stream = sourceClient.watch([], { startAtOperationTime, fullDocument: 'updateLookup', maxAwaitTimeMS: 200 });
    const items = sourceClient.db('app').collection<Item>('items');
    // Each round: an insert, an update and a delete, so that no two neighbours in the batch are of one kind.
    for (let i = 0; i < 20; i++) {
      await items.insertOne({ _id: 100 + i, n: 100 + i });
      await items.updateOne({ _id: i }, { $set: { n: -i } });
      await items.deleteOne({ _id: 20 + i });
    }
    const events: ChangeStreamDocument[] = [];
    while (events.length < 60) {
      const event = await stream.tryNext();
      if (event !== null) events.push(event);
    }
    await stream.close();

    const commands: string[] = [];
    const listener = (event: CommandStartedEvent) => {
      if (WRITE_COMMANDS.has(event.commandName)) commands.push(event.commandName);
    };
    destinationClient.on('commandStarted', listener);
    try {
      const applier = new ChangeApplier({
        source: sourceClient,
        destination: destinationClient,
        catalog: new NamespaceCatalog(sourceClient),
        copyCompletedAt: startAtOperationTime,
        batchSize: 100,
      });
      await applier.apply(events);
    } finally {
      destinationClient.off('commandStarted', listener);
    }

    assert.deepEqual(commands.sort(), ['delete', 'update'], 'one update command (the upserts) and one delete command');
    await assertIdentical(source.url, destination.url);
  });
});
