import { apiErrors } from '../../http/api-error.js';
import { latestMigrationName } from '../../persistence/migrations.js';
import type { ReadTransaction, WriteTransaction } from '../../persistence/write-transaction.js';
import type { ClockReading, ClockService } from '../clock/clock-service.js';
import { INIT_SNAPSHOT, isSnapshotName, SNAPSHOT_NAME_PATTERN, type Snapshot } from './snapshot.js';
import type { SnapshotStore } from './snapshot-store.js';

/** What a reset did. */
export interface ResetOutcome {
  /** The snapshot the data is now the copy of. */
  snapshot: Snapshot;
  /** How many active faults the reset cleared. */
  faultsCleared: number;
  /** The clock, back at real time. */
  clock: ClockReading;
}

export interface SnapshotServiceOptions {
  /** Clears the rehearsal controls' active faults (a reset leaves none); resolves to how many there were. */
  clearFaults?: () => Promise<number>;
  /** Drops what the services keep of rows read before the restore (their short-lived caches). */
  forgetCached?: () => void;
}

/**
 * Named snapshots of the whole database, and the reset that puts one back without a restart. A snapshot
 * is read in one read transaction (the tables agree with each other) and stored in the database, so any
 * node may restore it; a restore is one write transaction, so every request sees the data either
 * entirely before or entirely after it, on every node. Which tables are copied, and why the others are
 * not, is persistence/database-snapshot.ts's TABLE_SNAPSHOT_POLICY.
 */
export class SnapshotService {
  constructor(
    private readonly store: SnapshotStore,
    private readonly read: ReadTransaction<{ snapshots: SnapshotStore }>,
    private readonly transaction: WriteTransaction<{ snapshots: SnapshotStore }>,
    private readonly clock: Pick<ClockService, 'resetToRealTime'>,
    private readonly now: () => Date,
    private readonly options: SnapshotServiceOptions = {},
  ) {}

  /** Takes a snapshot of the database now, replacing one of the same name. */
  async create(name: string): Promise<{ snapshot: Snapshot; replaced: boolean }> {
    checkName(name);
    const content = await this.read(({ snapshots }) => snapshots.capture());
    const snapshot: Snapshot = { name, createdAt: this.now().toISOString(), rowCount: content.rowCount };
    const replaced = await this.transaction(({ snapshots }) => snapshots.save(snapshot, content));
    return { snapshot, replaced };
  }

  list(): Promise<Snapshot[]> {
    return this.store.list();
  }

  async get(name: string): Promise<Snapshot | undefined> {
    return isSnapshotName(name) ? (await this.store.get(name))?.snapshot : undefined;
  }

  async delete(name: string): Promise<void> {
    if (!isSnapshotName(name) || !(await this.store.delete(name))) throw apiErrors.snapshotNotFound(name);
  }

  /**
   * Puts the database back as the snapshot has it (`init` when no name is given), clears the active
   * faults and puts the clock back to real time. A request running meanwhile gets a whole answer, from
   * the data before or after the restore.
   */
  async reset(name: string = INIT_SNAPSHOT): Promise<ResetOutcome> {
    const found = isSnapshotName(name) ? await this.store.get(name) : undefined;
    if (found === undefined) throw apiErrors.snapshotNotFound(name);
    const current = latestMigrationName();
    if (found.content.migration !== current) throw apiErrors.snapshotSchemaMismatch(name, found.content.migration, current);
    // The faults first: a migration's faults go with its row, so the restore would remove them uncounted,
    // and a reset answers how many it cleared.
    const faultsCleared = (await this.options.clearFaults?.()) ?? 0;
    await this.transaction(({ snapshots }) => snapshots.restore(found.content));
    this.options.forgetCached?.();
    const clock = await this.clock.resetToRealTime();
    return { snapshot: found.snapshot, faultsCleared, clock };
  }
}

function checkName(name: string): void {
  if (!isSnapshotName(name)) {
    throw apiErrors.invalidAttribute(
      'name',
      `a snapshot name is 1 to 64 letters, digits, dots, dashes and underscores (${SNAPSHOT_NAME_PATTERN})`,
    );
  }
}
