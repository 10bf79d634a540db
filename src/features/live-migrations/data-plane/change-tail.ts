/**
 * The tail: one deployment-wide change stream on the source (`client.watch()`), read in batches and
 * handed to the applier. A batch ends where the server's batch ends (the driver holds no more
 * events), or at `maxBatch` events; after it is applied, the resume token after its last event is
 * recorded. An empty batch means the tail is caught up: lag 0, and the stream's post-batch token is
 * recorded so that a restart does not rescan a quiet stretch.
 *
 * While a batch is applied and recorded, the next one is read: the source's work for it (the
 * events, the post-image lookups) overlaps the destination's writes instead of following them. Only
 * one batch is applied at a time, in stream order, and the next is cut only once the one before is
 * recorded, so at most two batches are held. An empty batch counts as caught up only once the batch
 * before it is applied.
 *
 * Cutover ends the tail at the first empty batch that was asked for after cutover was requested:
 * every change the source had made visible by then is applied.
 */
import { BSON, type ChangeStream, type ChangeStreamDocument, type Document, type MongoClient, type Timestamp } from 'mongodb';
import type { ChangeApplier } from './change-applier.js';
import { hasCode } from './collection-definitions.js';
import type { LagGauge } from './lag.js';
import { MigrationError } from './migration-error.js';

/** ChangeStreamFatalError (token not in the oplog), ChangeStreamHistoryLost, CappedPositionLost. */
const HISTORY_LOST_CODES = [280, 286, 136];

export type TailStart = { readonly resumeAfter: Document } | { readonly startAtOperationTime: Timestamp };

export interface TailInput {
  readonly source: MongoClient;
  readonly applier: ChangeApplier;
  readonly lag: LagGauge;
  readonly start: TailStart;
  readonly maxAwaitTimeMS: number;
  readonly maxBatch: number;
  readonly signal?: AbortSignal;
  readonly cutoverRequested: () => boolean;
  /** After a batch was applied, with the token to resume after it and the cluster time of its last change. */
  readonly onApplied: (resumeToken: Document, count: number, appliedThrough: Timestamp | undefined) => Promise<void>;
  /** After an empty batch, with the stream's token when it moved. */
  readonly onCaughtUp: (resumeToken: Document | undefined) => Promise<void>;
}

export type TailOutcome = 'caught-up-for-cutover' | 'aborted';

export async function tailChanges(input: TailInput): Promise<TailOutcome> {
  const { source, applier, lag, maxBatch, signal } = input;
  const stream: ChangeStream = source.watch([], {
    ...input.start,
    fullDocument: 'updateLookup',
    showExpandedEvents: true,
    maxAwaitTimeMS: input.maxAwaitTimeMS,
    batchSize: maxBatch,
  });
  let lastRecorded = 'resumeAfter' in input.start ? tokenText(input.start.resumeAfter) : undefined;
  /** The batch being applied and recorded, while the next one is read. */
  let applying: Promise<void> | undefined;
  const settle = async (): Promise<void> => {
    const running = applying;
    applying = undefined;
    await running;
  };
  const applyAndRecord = async (batch: readonly ChangeStreamDocument[], token: Document): Promise<void> => {
    await applier.apply(batch);
    const appliedThrough = batch[batch.length - 1]?.clusterTime;
    lag.appliedThrough(appliedThrough);
    lastRecorded = tokenText(token);
    await input.onApplied(token, batch.length, appliedThrough);
  };
  try {
    let pending: ChangeStreamDocument[] = [];
    for (;;) {
      if (signal?.aborted === true) {
        await settle();
        return 'aborted';
      }
      const cutoverAskedBeforeRead = input.cutoverRequested();
      const event = await nextChange(stream);
      if (event !== null) {
        lag.changeRead(event.clusterTime);
        pending.push(event);
        if (stream.bufferedCount() > 0 && pending.length < maxBatch) continue;
        // The token after this batch's last event, taken before the next read moves it.
        const token = stream.resumeToken as Document;
        const batch = pending;
        pending = [];
        await settle();
        applying = applyAndRecord(batch, token);
        // Awaited by settle(); until then its failure must not count as unhandled.
        applying.catch(() => undefined);
        continue;
      }
      await settle();
      lag.markCaughtUp();
      const token = stream.resumeToken as Document | undefined;
      const text = token === undefined ? undefined : tokenText(token);
      const moved = text !== undefined && text !== lastRecorded;
      if (moved) lastRecorded = text;
      await input.onCaughtUp(moved ? token : undefined);
      if (cutoverAskedBeforeRead) return 'caught-up-for-cutover';
    }
  } finally {
    // Nothing is applied after the tail returned or failed.
    await applying?.catch(() => undefined);
    await stream.close();
  }
}

async function nextChange(stream: ChangeStream): Promise<ChangeStreamDocument | null> {
  try {
    return await stream.tryNext();
  } catch (error) {
    if (hasCode(error, ...HISTORY_LOST_CODES)) {
      throw new MigrationError(
        'SOURCE_CHANGE_HISTORY_LOST',
        "the source's oplog no longer holds the changes the migration must apply next: raise the source's oplog window and start the migration again",
        { cause: error },
      );
    }
    throw error;
  }
}

function tokenText(token: Document): string {
  return BSON.EJSON.stringify(token, { relaxed: false });
}
