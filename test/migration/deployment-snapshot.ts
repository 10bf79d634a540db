/**
 * What "the destination is identical to the source" means in these tests: for every namespace a
 * migration reproduces (all but admin/local/config, system collections and time-series), its type,
 * its options, its index definitions, its document count and a SHA-256 over its documents in _id
 * order (canonical Extended JSON, so a changed type, field order or value changes the hash).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { BSON, MongoClient, type Document, type ObjectId } from 'mongodb';

export interface NamespaceSnapshot {
  readonly type: string;
  readonly options: string;
  readonly indexes: readonly string[];
  readonly count?: number;
  readonly sha256?: string;
}

export type DeploymentSnapshot = Record<string, NamespaceSnapshot>;

/** The _id types these tests use; the driver's default typing allows ObjectId only. */
export type TestId = string | number | ObjectId | { k: number };

/** A document to insert, with any fields. */
export interface AnyDocument {
  _id?: TestId;
  [field: string]: unknown;
}

/** A document to filter and update: without an index signature the driver's update types take any field. */
export interface KeyedDocument {
  _id: TestId;
}

const INTERNAL = new Set(['admin', 'local', 'config']);

export async function snapshotDeployment(url: string): Promise<DeploymentSnapshot> {
  const client = new MongoClient(url);
  try {
    const snapshot: DeploymentSnapshot = {};
    const { databases } = await client.db('admin').admin().listDatabases({ nameOnly: true });
    for (const { name: db } of databases) {
      if (INTERNAL.has(db)) continue;
      for (const info of await client.db(db).listCollections({}, { nameOnly: false }).toArray()) {
        const options: Document = info.options ?? {};
        if (info.name.startsWith('system.') || info.type === 'timeseries' || options['timeseries'] !== undefined) continue;
        const ns = `${db}.${info.name}`;
        const type = info.type ?? 'collection';
        // The order of a collection's options means nothing, and servers differ in it.
        const base = { type, options: canonical(Object.fromEntries(Object.entries(options).sort(([a], [b]) => a.localeCompare(b)))) };
        if (type === 'view') {
          snapshot[ns] = { ...base, indexes: [] };
          continue;
        }
        const collection = client.db(db).collection(info.name);
        const indexes = (await collection.listIndexes().toArray())
          .map(({ ns: _ns, ...spec }) => spec)
          .sort((a, b) => String(a['name']).localeCompare(String(b['name'])))
          .map(canonical);
        const hash = createHash('sha256');
        let count = 0;
        for await (const document of collection.find({}, { sort: { _id: 1 } })) {
          hash.update(canonical(document)).update('\n');
          count++;
        }
        snapshot[ns] = { ...base, indexes, count, sha256: hash.digest('hex') };
      }
    }
    return snapshot;
  } finally {
    await client.close();
  }
}

function canonical(value: Document): string {
  return BSON.EJSON.stringify(value, { relaxed: false });
}

/** Fails with a readable diff of the namespaces that differ. */
export async function assertIdentical(sourceUrl: string, destinationUrl: string): Promise<DeploymentSnapshot> {
  const [source, destination] = await Promise.all([snapshotDeployment(sourceUrl), snapshotDeployment(destinationUrl)]);
  assert.deepEqual(destination, source, 'the destination differs from the source');
  return source;
}

/** Drops every database but MongoDB's own, so each test starts from empty servers. */
export async function emptyDeployment(url: string): Promise<void> {
  const client = new MongoClient(url);
  try {
    const { databases } = await client.db('admin').admin().listDatabases({ nameOnly: true });
    for (const { name } of databases) if (!INTERNAL.has(name)) await client.db(name).dropDatabase();
  } finally {
    await client.close();
  }
}
