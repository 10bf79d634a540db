/**
 * The initial copy of one collection: a cursor over the source in _id order, `insertMany` unordered
 * on the destination, one batch at a time.
 *
 * - Bounded memory: one batch is being written while the next one is read, never more.
 * - Resumable: after each acknowledged batch the caller records the batch's last _id; a restart
 *   continues from it with the `_id` index bounds (`hint` + `min`, inclusive, in BSON order, so _ids
 *   of mixed types resume correctly, unlike a `$gt` query, which compares within one type only).
 * - Convergent: a document already on the destination (the batch a crash interrupted) is refused
 *   by the _id index and skipped; a version older than the source's is corrected by the tail, which
 *   replays every change made since the start point.
 * - Validators are bypassed: a source may hold documents its current validator would refuse.
 */
import { MongoBulkWriteError, type Collection, type Document, type MongoClient } from 'mongodb';
import { hasCode } from './collection-definitions.js';
import { readSourceDefinition, type Namespace } from './namespaces.js';

const DUPLICATE_KEY = 11000;
/** What a server says when the collection under an open cursor is dropped or renamed. */
const COLLECTION_GONE_CODES = [26, 43, 175, 237];

export interface CopyBatch {
  readonly count: number;
  readonly lastId: unknown;
}

export interface CopyCollectionInput {
  readonly source: MongoClient;
  readonly destination: MongoClient;
  readonly ns: Namespace;
  readonly batchSize: number;
  /** The last _id recorded by an earlier run; the copy starts at it (the document itself is skipped as present). */
  readonly resumeFromId?: unknown;
  /** The UUID the collection had when it was listed, to recognise it was dropped meanwhile. */
  readonly uuid?: unknown;
  readonly signal?: AbortSignal;
  /** Called, in order, after the destination acknowledged each batch. */
  readonly onBatch: (batch: CopyBatch) => Promise<void>;
}

export type CopyOutcome = 'copied' | 'vanished' | 'aborted';

export async function copyCollectionDocuments(input: CopyCollectionInput): Promise<CopyOutcome> {
  const { source, destination, ns, batchSize, signal } = input;
  const target = destination.db(ns.db).collection(ns.coll);
  const cursor = source
    .db(ns.db)
    .collection(ns.coll)
    .find(
      {},
      {
        sort: { _id: 1 },
        hint: { _id: 1 },
        batchSize,
        ...(input.resumeFromId === undefined ? {} : { min: { _id: input.resumeFromId } }),
      },
    );
  let writing: Promise<void> | undefined;
  let batch: Document[] = [];
  const write = async (documents: Document[]): Promise<void> => {
    await insertSkippingPresent(target, documents);
    const last = documents[documents.length - 1];
    await input.onBatch({ count: documents.length, lastId: last?.['_id'] });
  };
  try {
    for await (const document of cursor) {
      batch.push(document);
      if (batch.length < batchSize) continue;
      await writing;
      if (signal?.aborted === true) return 'aborted';
      writing = write(batch);
      // Handled where it is awaited; without this a failure while the next batch is read would be
      // an unhandled rejection.
      writing.catch(() => undefined);
      batch = [];
    }
    await writing;
    if (batch.length > 0) await write(batch);
    return 'copied';
  } catch (error) {
    // A write still running must finish (or fail) before the outcome is known.
    await writing?.catch(() => undefined);
    if (hasCode(error, ...COLLECTION_GONE_CODES) && (await collectionWasReplaced(source, ns, input.uuid))) return 'vanished';
    throw error;
  } finally {
    await cursor.close();
  }
}

async function insertSkippingPresent(target: Collection, documents: Document[]): Promise<void> {
  try {
    await target.insertMany(documents, { ordered: false, bypassDocumentValidation: true });
  } catch (error) {
    // Unique secondary indexes are deferred to cutover, so a duplicate key can only be an _id that
    // an earlier run already copied.
    if (error instanceof MongoBulkWriteError && error.writeErrors !== undefined) {
      const writeErrors = [error.writeErrors].flat();
      if (writeErrors.length > 0 && writeErrors.every((writeError) => writeError.code === DUPLICATE_KEY)) return;
    }
    throw error;
  }
}

/** True when the listed collection no longer exists on the source (dropped, renamed, or replaced by another of that name). */
async function collectionWasReplaced(source: MongoClient, ns: Namespace, uuid: unknown): Promise<boolean> {
  const current = await readSourceDefinition(source, ns);
  if (current === undefined || !('copy' in current)) return true;
  if (uuid === undefined || current.copy.uuid === undefined) return false;
  return !sameUuid(uuid, current.copy.uuid);
}

function sameUuid(a: unknown, b: unknown): boolean {
  const hex = (value: unknown): string | undefined =>
    typeof value === 'object' && value !== null && 'toHexString' in value && typeof value.toHexString === 'function'
      ? String((value as { toHexString(): string }).toHexString())
      : undefined;
  return hex(a) !== undefined && hex(a) === hex(b);
}
