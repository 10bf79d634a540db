/**
 * Applies the source's change events to the destination, in the order the stream gives them.
 *
 * Document changes are applied as state, not as operations:
 * - insert and replace: the event's document replaces the destination's (`replaceOne` with upsert);
 * - update: the post-image (`fullDocument: 'updateLookup'`, the document as it is on the source when
 *   the event is read) replaces the destination's; no post-image means the document is gone from the
 *   source by then, so it is deleted (the delete event that follows finds nothing left to do);
 * - delete: `deleteOne` by _id.
 * Each write sets a document to a state the source had, so applying an event twice, or a batch again
 * after a crash, leaves the same result, and the last event for a document decides its end state: a
 * document deleted later ends deleted. The post-image is chosen over the update description because
 * the description is not idempotent on its own (array truncations, and dotted or numeric field names
 * that it cannot tell from paths) and cannot be applied to a document the destination lacks; the
 * price is one lookup per update on the source, which the server does inside the change stream.
 *
 * Definition changes (create, createIndexes, dropIndexes, modify) make the namespace's definition
 * equal to the source's current one; drop, dropDatabase and rename are applied as such. A rename made
 * during the initial copy may have moved documents the copy had not reached yet, and those never
 * appear as changes, so the renamed collection is copied again from the source (its documents are
 * current; any change after the rename follows in the stream). Sharding events are not applied: the
 * destination's sharding is its own.
 */
import { BSON, type AnyBulkWriteOperation, type ChangeStreamDocument, type MongoClient, type Timestamp } from 'mongodb';
import { ensureDefinition, hasCode, syncIndexes } from './collection-definitions.js';
import { copyCollectionDocuments } from './initial-copy.js';
import {
  isExcludedByName,
  isInternalDatabase,
  namespaceKey,
  readSourceDefinition,
  type NamespaceCatalog,
  type Namespace,
} from './namespaces.js';

const NAMESPACE_NOT_FOUND = 26;

export interface ChangeApplierDependencies {
  readonly source: MongoClient;
  readonly destination: MongoClient;
  readonly catalog: NamespaceCatalog;
  /** The source's optime when the initial copy finished. */
  readonly copyCompletedAt: Timestamp;
  /** Batch size of a collection copied again after a rename. */
  readonly batchSize: number;
}

interface DocumentWrite {
  readonly ns: Namespace;
  /** The _id as canonical Extended JSON: one key for one _id value. */
  readonly key: string;
  readonly operation: AnyBulkWriteOperation;
}

export class ChangeApplier {
  constructor(private readonly dependencies: ChangeApplierDependencies) {}

  async apply(events: readonly ChangeStreamDocument[]): Promise<void> {
    let writes: DocumentWrite[] = [];
    for (const event of events) {
      if (isDocumentEvent(event)) {
        const write = await this.documentWrite(event);
        if (write !== undefined) writes.push(write);
        continue;
      }
      // A definition change orders the document writes around it: the ones before it land first.
      await this.writeDocuments(writes);
      writes = [];
      await this.applyDefinitionChange(event);
    }
    await this.writeDocuments(writes);
  }

  private async documentWrite(event: DocumentEvent): Promise<DocumentWrite | undefined> {
    const ns = { db: event.ns.db, coll: event.ns.coll ?? '' };
    if (!(await this.dependencies.catalog.isReplicated(ns))) return undefined;
    const id = event.documentKey._id;
    const filter = { _id: id };
    const key = BSON.EJSON.stringify({ _id: id }, { relaxed: false });
    switch (event.operationType) {
      case 'insert':
      case 'replace':
        return { ns, key, operation: { replaceOne: { filter, replacement: event.fullDocument, upsert: true } } };
      case 'update':
        return event.fullDocument === undefined || event.fullDocument === null
          ? { ns, key, operation: { deleteOne: { filter } } }
          : { ns, key, operation: { replaceOne: { filter, replacement: event.fullDocument, upsert: true } } };
      case 'delete':
        return { ns, key, operation: { deleteOne: { filter } } };
    }
  }

  /**
   * One bulk write per namespace. Every write sets a document's whole state, so only the last one per
   * _id matters; the others are dropped. What is left touches each document once, and no unique index
   * but _id's is built before cutover, so the writes are independent of each other: they go unordered,
   * which the driver sends as one command per kind of write (updates, deletes) instead of one per run
   * of the same kind, each a round trip. A capped collection is the exception: its documents are in
   * insertion order and the oldest go first, so there the writes keep the order of their last events.
   */
  private async writeDocuments(writes: readonly DocumentWrite[]): Promise<void> {
    if (writes.length === 0) return;
    const byNamespace = new Map<string, { ns: Namespace; last: Map<string, AnyBulkWriteOperation> }>();
    for (const write of writes) {
      const nsKey = namespaceKey(write.ns);
      let group = byNamespace.get(nsKey);
      if (group === undefined) byNamespace.set(nsKey, (group = { ns: write.ns, last: new Map() }));
      group.last.delete(write.key);
      group.last.set(write.key, write.operation);
    }
    const { destination, catalog } = this.dependencies;
    await Promise.all(
      [...byNamespace.values()].map(async ({ ns, last }) => {
        const ordered = await catalog.isCapped(ns);
        await destination
          .db(ns.db)
          .collection(ns.coll)
          .bulkWrite([...last.values()], { ordered, bypassDocumentValidation: true });
      }),
    );
  }

  private async applyDefinitionChange(event: Exclude<ChangeStreamDocument, DocumentEvent>): Promise<void> {
    const { catalog, destination } = this.dependencies;
    switch (event.operationType) {
      case 'create':
      case 'createIndexes':
      case 'dropIndexes':
      case 'modify':
        await this.matchSourceDefinition(collectionNamespace(event));
        return;
      case 'drop': {
        const ns = { db: event.ns.db, coll: event.ns.coll };
        catalog.forget(ns);
        if (isExcludedByName(ns)) return;
        await dropCollection(destination, ns);
        return;
      }
      case 'dropDatabase':
        catalog.forgetDatabase(event.ns.db);
        if (!isInternalDatabase(event.ns.db)) await destination.db(event.ns.db).dropDatabase();
        return;
      case 'rename':
        await this.rename({ db: event.ns.db, coll: event.ns.coll }, event.to, event.clusterTime);
        return;
      default:
        // invalidate (not sent to a deployment-wide stream), shardCollection, reshardCollection,
        // refineCollectionShardKey: nothing to apply to a destination that shards on its own.
        return;
    }
  }

  /** Creates or updates the namespace's collection or view and its indexes, as the source has them now. */
  private async matchSourceDefinition(ns: Namespace): Promise<'copied' | 'skipped' | 'absent'> {
    const { source, destination, catalog } = this.dependencies;
    catalog.forget(ns);
    if (isExcludedByName(ns)) return 'skipped';
    const definition = await readSourceDefinition(source, ns);
    // Gone from the source by now: the drop (or rename) that removed it follows in the stream.
    if (definition === undefined) return 'absent';
    if ('skip' in definition) {
      catalog.remember(ns, false);
      return 'skipped';
    }
    catalog.remember(ns, true, definition.copy.options);
    await ensureDefinition(destination, definition.copy);
    if (definition.copy.kind === 'collection') await syncIndexes(source, destination, ns, 'during-sync');
    return 'copied';
  }

  private async rename(from: Namespace, to: Namespace, at: Timestamp | undefined): Promise<void> {
    const { destination, catalog, copyCompletedAt } = this.dependencies;
    const fromReplicated = await catalog.isReplicated(from);
    catalog.forget(from);
    const targetDefinition = isExcludedByName(to) ? undefined : await readSourceDefinition(this.dependencies.source, to);
    const toReplicated = !isExcludedByName(to) && (targetDefinition === undefined || 'copy' in targetDefinition);
    catalog.forget(to);
    if (!toReplicated) {
      if (fromReplicated) await dropCollection(destination, from);
      return;
    }
    let renamed = false;
    if (fromReplicated) {
      try {
        await destination.db('admin').command({ renameCollection: namespaceKey(from), to: namespaceKey(to), dropTarget: true });
        renamed = true;
      } catch (error) {
        if (!hasCode(error, NAMESPACE_NOT_FOUND)) throw error;
      }
    }
    const duringCopy = at === undefined || compareTimestamps(at, copyCompletedAt) <= 0;
    if (renamed && !duringCopy) return;
    await this.copyAgain(to);
  }

  private async copyAgain(ns: Namespace): Promise<void> {
    if ((await this.matchSourceDefinition(ns)) !== 'copied') return;
    const { source, destination, batchSize } = this.dependencies;
    const definition = await readSourceDefinition(source, ns);
    if (definition === undefined || !('copy' in definition) || definition.copy.kind !== 'collection') return;
    await copyCollectionDocuments({ source, destination, ns, batchSize, uuid: definition.copy.uuid, onBatch: async () => {} });
  }
}

type DocumentEvent = Extract<ChangeStreamDocument, { operationType: 'insert' | 'update' | 'replace' | 'delete' }>;

function isDocumentEvent(event: ChangeStreamDocument): event is DocumentEvent {
  return (
    event.operationType === 'insert' ||
    event.operationType === 'update' ||
    event.operationType === 'replace' ||
    event.operationType === 'delete'
  );
}

/** The driver's types leave `ns` out of some definition events, which all carry it. */
function collectionNamespace(event: ChangeStreamDocument): Namespace {
  const ns = (event as { ns?: { db?: unknown; coll?: unknown } }).ns;
  return { db: typeof ns?.db === 'string' ? ns.db : '', coll: typeof ns?.coll === 'string' ? ns.coll : '' };
}

async function dropCollection(destination: MongoClient, ns: Namespace): Promise<void> {
  try {
    await destination.db(ns.db).collection(ns.coll).drop();
  } catch (error) {
    if (!hasCode(error, NAMESPACE_NOT_FOUND)) throw error;
  }
}

function compareTimestamps(a: Timestamp, b: Timestamp): number {
  return a.t - b.t || a.i - b.i;
}
