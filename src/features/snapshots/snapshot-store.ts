import type { Snapshot, SnapshotContent } from './snapshot.js';

/** The snapshots, and the copy of the whole database they hold. */
export interface SnapshotStore {
  /** Reads every restored table; call it in a read transaction, so that the tables agree. */
  capture(): Promise<SnapshotContent>;
  /** Replaces every restored table's rows with the content's; call it in a write transaction. */
  restore(content: SnapshotContent): Promise<void>;
  /** Stores the snapshot, replacing one of the same name; true when it replaced one. */
  save(snapshot: Snapshot, content: SnapshotContent): Promise<boolean>;
  /** The snapshot and its content; undefined when there is none of that name. */
  get(name: string): Promise<{ snapshot: Snapshot; content: SnapshotContent } | undefined>;
  /** Every snapshot, oldest first. */
  list(): Promise<Snapshot[]>;
  /** True when there was one of that name. */
  delete(name: string): Promise<boolean>;
}
