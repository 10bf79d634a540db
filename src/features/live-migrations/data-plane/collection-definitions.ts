/**
 * Collections, views and indexes on the destination, made from the source's own definitions: the
 * `options` of `listCollections` go to `create` and the specs of `listIndexes` to `createIndexes` as
 * they are (capped, validator, collation, clustered, TTL, partial, sparse, 2dsphere, text, hidden, ...),
 * so whatever the source's server supports is reproduced without a list of option names here.
 *
 * Unique indexes are built without `unique` until cutover. While the copy and the tail run, the
 * destination holds documents from different instants (a copied document is as old as its read, a
 * change applied is as new as its lookup), so two documents may briefly share a key the source never
 * had twice, and a unique index would refuse a write the source accepted. At cutover, with writes
 * stopped and every change applied, the destination equals the source and the unique indexes are
 * built as the source has them (`finalizeIndexes`).
 *
 * Every function here reads the source's current state and makes the destination match it, so
 * calling one twice, or after a crash half-way, leaves the same result.
 */
import { BSON, MongoServerError, type CollectionInfo, type Document, type MongoClient } from 'mongodb';
import type { CollectionDefinition, Namespace } from './namespaces.js';

const NAMESPACE_EXISTS = 48;
const NAMESPACE_NOT_FOUND = 26;
const INDEX_NOT_FOUND = 27;

/** A server document's fields as this file reads them: `unknown`, where the driver's `Document` says `any`. */
type Fields = Readonly<Record<string, unknown>>;

export function hasCode(error: unknown, ...codes: number[]): boolean {
  return error instanceof MongoServerError && typeof error.code === 'number' && codes.includes(error.code);
}

async function destinationInfo(client: MongoClient, ns: Namespace): Promise<CollectionInfo | undefined> {
  const [info] = await client.db(ns.db).listCollections({ name: ns.coll }, { nameOnly: false }).toArray();
  return info;
}

/** Creates the collection or view unless the destination already has it; a view's definition is brought up to date. */
export async function ensureDefinition(destination: MongoClient, definition: CollectionDefinition): Promise<void> {
  const { ns, options } = definition;
  const existing = await destinationInfo(destination, ns);
  if (existing !== undefined) {
    if (definition.kind === 'view') await updateView(destination, definition, existing);
    else await updateValidation(destination, definition, existing);
    return;
  }
  try {
    await destination.db(ns.db).command({ create: ns.coll, ...options });
  } catch (error) {
    if (!hasCode(error, NAMESPACE_EXISTS)) throw error;
  }
}

async function updateView(destination: MongoClient, definition: CollectionDefinition, existing: CollectionInfo): Promise<void> {
  const current: Fields = existing.options ?? {};
  const wanted: Fields = definition.options;
  if (sameValue(current['viewOn'], wanted['viewOn']) && sameValue(current['pipeline'], wanted['pipeline'])) return;
  await destination.db(definition.ns.db).command({
    collMod: definition.ns.coll,
    viewOn: wanted['viewOn'],
    pipeline: wanted['pipeline'] ?? [],
  });
}

/** The options `collMod` can change on a collection that exists: its validation rules. */
async function updateValidation(destination: MongoClient, definition: CollectionDefinition, existing: CollectionInfo): Promise<void> {
  const current = existing.options ?? {};
  const wanted = validationOf(definition.options);
  const have = validationOf(current);
  if (sameValue(wanted, have)) return;
  await destination.db(definition.ns.db).command({ collMod: definition.ns.coll, ...wanted });
}

function validationOf(options: Fields): Document {
  // The server's defaults when an option is absent, so "absent" and "default" compare equal.
  return {
    validator: options['validator'] ?? {},
    validationLevel: options['validationLevel'] ?? 'strict',
    validationAction: options['validationAction'] ?? 'error',
  };
}

export type IndexMode = 'during-sync' | 'final';

/** The index specs a collection should have on the destination, from the source's `listIndexes`. */
async function sourceIndexSpecs(source: MongoClient, ns: Namespace, mode: IndexMode): Promise<Document[] | undefined> {
  let specs: Document[];
  try {
    specs = await source.db(ns.db).collection(ns.coll).indexes();
  } catch (error) {
    if (hasCode(error, NAMESPACE_NOT_FOUND)) return undefined;
    throw error;
  }
  return specs.filter(isSecondaryIndex).map((spec) => (mode === 'final' ? portableSpec(spec) : syncSpec(spec)));
}

/** The _id index comes with the collection, and a clustered collection's index with its options. */
function isSecondaryIndex(spec: Document): boolean {
  return spec['name'] !== '_id_' && spec['clustered'] !== true;
}

/** `ns` is an old server's echo of the namespace, not part of the definition. */
function portableSpec(spec: Document): Document {
  const { ns: _ns, ...rest } = spec;
  return rest;
}

function syncSpec(spec: Document): Document {
  const { unique: _unique, prepareUnique: _prepareUnique, ...rest } = portableSpec(spec);
  return rest;
}

/**
 * Makes the destination's secondary indexes those of the source: missing ones are built, ones the
 * source no longer has are dropped, and one whose definition differs is dropped and built again.
 * Does nothing when the collection is gone from the source (its drop follows in the change stream).
 */
export async function syncIndexes(source: MongoClient, destination: MongoClient, ns: Namespace, mode: IndexMode): Promise<void> {
  const wanted = await sourceIndexSpecs(source, ns, mode);
  if (wanted === undefined) return;
  const collection = destination.db(ns.db).collection(ns.coll);
  let existing: Document[] = [];
  try {
    existing = (await collection.listIndexes().toArray()).filter(isSecondaryIndex).map(portableSpec);
  } catch (error) {
    if (!hasCode(error, NAMESPACE_NOT_FOUND)) throw error;
  }
  const wantedByName = new Map(wanted.map((spec) => [String(spec['name']), spec]));
  for (const spec of existing) {
    const name = String(spec['name']);
    const target = wantedByName.get(name);
    if (target !== undefined && sameIndex(spec, target)) {
      wantedByName.delete(name);
      continue;
    }
    try {
      await collection.dropIndex(name);
    } catch (error) {
      if (!hasCode(error, INDEX_NOT_FOUND, NAMESPACE_NOT_FOUND)) throw error;
    }
  }
  if (wantedByName.size > 0) {
    await destination.db(ns.db).command({ createIndexes: ns.coll, indexes: [...wantedByName.values()] });
  }
}

/**
 * Two index specs are the same index when every option is equal; the order of the options does
 * not matter, the order of the key's fields does. `prepareUnique: false` is what a server may echo
 * after a conversion and means the same as its absence.
 */
function sameIndex(a: Document, b: Document): boolean {
  return sameValue(canonicalIndex(a), canonicalIndex(b));
}

function canonicalIndex(spec: Document): Document {
  const { prepareUnique, ...rest } = spec;
  const options: Fields = prepareUnique === true ? { ...rest, prepareUnique } : rest;
  return Object.fromEntries(
    Object.keys(options)
      .sort()
      .map((key): [string, unknown] => [key, options[key]]),
  );
}

function sameValue(a: unknown, b: unknown): boolean {
  return stableStringify(a) === stableStringify(b);
}

/** Relaxed Extended JSON: number types do not matter (1 and 1.0 are the same option value), other BSON types do. */
function stableStringify(value: unknown): string {
  return BSON.EJSON.stringify(value ?? null, { relaxed: true });
}
