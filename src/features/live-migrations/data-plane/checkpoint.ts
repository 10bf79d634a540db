/**
 * What a migration must remember to survive a kill -9 at any instant, and the store that keeps it.
 *
 * The order that makes a crash safe:
 * 1. the change-stream start point is taken and recorded BEFORE the first document is read;
 * 2. each collection's copy records its progress only after the destination acknowledged the batch,
 *    and a re-run copies again whatever is not recorded (inserts that meet an existing _id are skipped,
 *    so a re-run converges);
 * 3. the tail starts from the start point, later from the last applied resume token, and records a
 *    token only after every change before it was applied. Applying a change twice leaves the same
 *    state, so whatever ran after the last record is simply applied again.
 */
import type { Document, Timestamp } from 'mongodb';
import type { Namespace, SkippedNamespace } from './namespaces.js';

export type CheckpointPhase = 'COPYING' | 'TAILING' | 'CUTTING_OVER' | 'COMPLETE';

export interface CollectionCopyState {
  readonly ns: Namespace;
  readonly kind: 'collection' | 'view';
  readonly options: Document;
  readonly uuid?: unknown;
  readonly done: boolean;
  readonly documentsCopied: number;
  /** The _id of the last document of the last acknowledged batch (copy order is _id order). */
  readonly lastId?: unknown;
}

export interface MigrationCheckpoint {
  readonly version: 1;
  readonly phase: CheckpointPhase;
  /** The source's optime taken before the copy began: the tail's first start point. */
  readonly startAtOperationTime: Timestamp;
  /** The source's optime when the copy finished: changes up to it happened during the copy. */
  readonly copyCompletedAt?: Timestamp;
  /** The resume token of the last change applied (or of an empty batch after it). */
  readonly resumeToken?: Document;
  /** The cluster time of the last change applied, for the lag of a tail that resumes. */
  readonly appliedThrough?: Timestamp;
  /** Every namespace the initial copy creates, in copy order. */
  readonly collections: readonly CollectionCopyState[];
  readonly skipped: readonly SkippedNamespace[];
  readonly counters: {
    readonly documentsCopied: number;
    readonly changesApplied: number;
  };
  readonly updatedAt: Date;
}

/**
 * Where a migration's checkpoint lives. `save` returns only once the checkpoint would survive a
 * crash of the process (and, for a file, of the machine); `load` returns the last one saved.
 */
export interface MigrationCheckpointStore {
  load(): Promise<MigrationCheckpoint | undefined>;
  save(checkpoint: MigrationCheckpoint): Promise<void>;
}
