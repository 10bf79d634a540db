/**
 * kill -9 of the process that runs the migration, during the copy and during the tail, then a start
 * from the same checkpoint: the migration goes on and ends with the destination identical to the
 * source. Each kill comes after a known number of copied documents or applied changes (read from
 * the process's progress lines, which it prints only after saving the checkpoint), never at a random
 * time; the checkpoint left by the killed process is checked to be in the phase the test meant.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { MongoClient, ObjectId, type AnyBulkWriteOperation } from 'mongodb';
import { FileCheckpointStore } from '../../src/features/live-migrations/data-plane/file-checkpoint-store.js';
import type { MigrationProgress } from '../../src/features/live-migrations/data-plane/run-migration.js';
import { MONGODB_SERVERS_SKIP_REASON, startMongoServers, type MongoTestServer } from '../support/mongodb-servers.js';
import { assertIdentical, emptyDeployment, type AnyDocument, type KeyedDocument } from './deployment-snapshot.js';

const CHILD = new URL('./migration-process.ts', import.meta.url).pathname;
const BATCH_SIZE = 100;
interface HotDocument {
  _id: number | string;
  n?: number;
  tag?: string;
  replaced?: boolean;
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

interface MigrationProcess {
  readonly child: ChildProcess;
  /** Resolves with the first progress line that satisfies `predicate` (or one already seen). */
  waitFor(predicate: (progress: MigrationProgress) => boolean, what: string): Promise<MigrationProgress>;
  readonly exited: Promise<number | null>;
  kill9(): Promise<void>;
  cutover(): void;
}

function startMigrationProcess(sourceUrl: string, destinationUrl: string, checkpointFile: string): MigrationProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, sourceUrl, destinationUrl, checkpointFile, String(BATCH_SIZE)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const seen: MigrationProgress[] = [];
  const waiters: { predicate: (progress: MigrationProgress) => boolean; resolve: (progress: MigrationProgress) => void }[] = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const parsed = JSON.parse(line) as MigrationProgress | { outcome: string };
    if (!('phase' in parsed)) return;
    seen.push(parsed);
    for (const waiter of [...waiters]) {
      if (waiter.predicate(parsed)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(parsed);
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    exited,
    waitFor: (predicate, what) =>
      new Promise((resolve, reject) => {
        const already = seen.find(predicate);
        if (already !== undefined) return resolve(already);
        waiters.push({ predicate, resolve });
        void exited.then((code) => reject(new Error(`the migration process exited (${code}) before ${what}: ${stderr}`)));
      }),
    kill9: async () => {
      child.kill('SIGKILL');
      await exited;
    },
    cutover: () => child.stdin?.write('cutover\n'),
  };
}

describe('live migration: kill -9 and restart', { skip: MONGODB_SERVERS_SKIP_REASON }, () => {
  let source: MongoTestServer;
  let destination: MongoTestServer;
  let sourceClient: MongoClient;
  let folder: string;
  let running: MigrationProcess[] = [];

  before(async () => {
    [source, destination] = (await startMongoServers(2)) as [MongoTestServer, MongoTestServer];
    sourceClient = new MongoClient(source.url);
  });
  after(async () => {
    await sourceClient?.close();
    await Promise.all([source?.stop(), destination?.stop()]);
  });
  beforeEach(async () => {
    folder = mkdtempSync(join(tmpdir(), 'livelink-migration-crash-'));
    await Promise.all([emptyDeployment(source.url), emptyDeployment(destination.url)]);
  });
  afterEach(async () => {
    await Promise.all(running.map((migration) => migration.kill9()));
    running = [];
    rmSync(folder, { recursive: true, force: true });
  });

  const keyed = (db: string, name: string) => sourceClient.db(db).collection<KeyedDocument>(name);
  const insertInto = (db: string, name: string) => sourceClient.db(db).collection<AnyDocument>(name);
  const start = (): MigrationProcess => {
    const migration = startMigrationProcess(source.url, destination.url, join(folder, 'checkpoint.json'));
    running.push(migration);
    return migration;
  };

  async function finish(migration: MigrationProcess): Promise<void> {
    await migration.waitFor((progress) => progress.phase === 'TAILING' || progress.phase === 'CUTTING_OVER', 'the tail');
    migration.cutover();
    assert.equal(await migration.exited, 0, 'the migration completes');
    await assertIdentical(source.url, destination.url);
  }

  it('killed during the copy, it resumes the copy where it was recorded and ends identical', async () => {
    const big = insertInto('a', 'big');
    await big.createIndex({ key: 1 }, { unique: true });
    await big.insertMany(range(0, 2500).map((i) => ({ _id: i, key: `k${i}`, payload: 'p'.repeat(100) })));
    // Mixed _id types: the resumed cursor must continue in BSON order across them.
    const mixed: AnyDocument[] = range(0, 200).flatMap((i) => [
      { _id: i, n: i },
      { _id: `s${String(i).padStart(3, '0')}`, n: i },
      { _id: new ObjectId(), n: i },
    ]);
    await insertInto('b', 'mixed').insertMany(mixed);
    let inserted = 2500 + mixed.length;

    const first = start();
    await first.waitFor((progress) => progress.documentsCopied >= 500, '500 copied documents');
    await keyed('a', 'big').updateMany({ _id: { $lt: 100 } }, { $set: { payload: 'updated after its copy' } });
    await keyed('a', 'big').updateMany({ _id: { $gte: 2000, $lt: 2100 } }, { $set: { payload: 'updated before its copy' } });
    // Swapped unique keys between a copied document and one ahead of the cursor.
    await keyed('a', 'big').updateOne({ _id: 5 }, { $set: { key: 'swap' } });
    await keyed('a', 'big').updateOne({ _id: 2200 }, { $set: { key: 'k5' } });
    await keyed('a', 'big').updateOne({ _id: 5 }, { $set: { key: 'k2200' } });
    await keyed('a', 'big').deleteMany({ _id: { $gte: 200, $lt: 250 } });
    await insertInto('a', 'big').insertOne({ _id: 'ghost', key: 'ghost' });
    await keyed('a', 'big').deleteOne({ _id: 'ghost' });
    await insertInto('a', 'big').insertMany(range(3000, 3100).map((i) => ({ _id: i, key: `k${i}` })));
    inserted += 101;
    await first.waitFor((progress) => progress.documentsCopied >= 1000, '1000 copied documents');
    await first.kill9();

    const left = await new FileCheckpointStore(join(folder, 'checkpoint.json')).load();
    assert.equal(left?.phase, 'COPYING', 'killed during the copy');
    assert.ok(left !== undefined && left.counters.documentsCopied < inserted, 'with documents left to copy');

    // Changes while no migration runs.
    await keyed('a', 'big').updateMany({ _id: { $gte: 1000, $lt: 1050 } }, { $set: { payload: 'updated while the migration was down' } });
    await keyed('b', 'mixed').deleteMany({ n: { $lt: 10 } });
    await insertInto('b', 'mixed').insertMany(range(0, 20).map((i) => ({ _id: `down-${i}`, n: -i })));
    inserted += 20;

    const second = start();
    await second.waitFor((progress) => progress.phase === 'TAILING', 'the tail');
    await keyed('a', 'big').updateMany({ _id: { $gte: 2400 } }, { $set: { payload: 'updated during the tail' } });
    await keyed('b', 'mixed').deleteMany({ n: { $gte: 190 } });
    const tailing = await second.waitFor((progress) => progress.phase === 'TAILING', 'the tail');
    // Resumed, not started over: at most the re-read last document of the interrupted collection is copied twice.
    assert.ok(
      tailing.documentsCopied <= inserted + 1,
      `the copy resumed from its checkpoint (${tailing.documentsCopied} copied of ${inserted})`,
    );
    await finish(second);
  });

  it('killed during the tail, it resumes from the last recorded change and ends identical', async () => {
    await insertInto('a', 'hot').insertMany(range(0, 1000).map((i) => ({ _id: i, n: 0, tag: 'seed' })));
    await insertInto('b', 'cold').insertMany(range(0, 300).map((i) => ({ _id: i })));

    const first = start();
    await first.waitFor((progress) => progress.phase === 'TAILING', 'the tail');

    // A fixed stream of writes, in rounds, that goes on while the process is killed and restarted.
    const rounds = 30;
    const writer = (async () => {
      for (let round = 0; round < rounds; round++) {
        const operations: AnyBulkWriteOperation<HotDocument>[] = range(0, 50).map((j): AnyBulkWriteOperation<HotDocument> => {
          const n = round * 50 + j;
          const id = (n * 7) % 1200;
          switch (n % 5) {
            case 0:
              return { updateOne: { filter: { _id: id }, update: { $inc: { n: 1 } }, upsert: true } };
            case 1:
              return { replaceOne: { filter: { _id: id }, replacement: { n: -n, replaced: true }, upsert: true } };
            case 2:
              return { deleteOne: { filter: { _id: id } } };
            case 3:
              return { insertOne: { document: { _id: `r${n}`, n } } };
            default:
              return { updateOne: { filter: { _id: id }, update: { $set: { tag: `round ${round}` } } } };
          }
        });
        await sourceClient.db('a').collection<HotDocument>('hot').bulkWrite(operations, { ordered: false });
        await keyed('b', 'cold').updateOne({ _id: round }, { $set: { round } });
      }
    })();

    await first.waitFor((progress) => progress.changesApplied >= 300, '300 applied changes');
    await first.kill9();
    const left = await new FileCheckpointStore(join(folder, 'checkpoint.json')).load();
    assert.equal(left?.phase, 'TAILING', 'killed during the tail');
    assert.ok(left?.resumeToken !== undefined, 'with a recorded resume token');

    const second = start();
    await writer;
    await finish(second);
  });
});
