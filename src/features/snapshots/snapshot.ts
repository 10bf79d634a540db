/** A named snapshot of the database, as the control API lists it. */
export interface Snapshot {
  name: string;
  /** When it was taken, on the rehearsal clock (ISO 8601). */
  createdAt: string;
  /** How many rows it holds, all tables together. */
  rowCount: number;
}

/**
 * What a snapshot holds: every restored table's rows, and the schema they fit. The service only carries
 * it from the store that read it to the store that writes it back; the rows themselves are the store's.
 */
export interface SnapshotContent {
  /** The schema's last migration when it was taken: a snapshot is restored into that schema only. */
  readonly migration: string;
  readonly rowCount: number;
  readonly tables: Readonly<Record<string, readonly Readonly<Record<string, unknown>>[]>>;
}

/** The snapshot `livelink init`, `start` and `serve --fixtures` take of the data they set up: what a reset with no name restores. */
export const INIT_SNAPSHOT = 'init';

/** A snapshot's name: what goes in a URL path and on a command line unquoted. */
export const SNAPSHOT_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';

export function isSnapshotName(name: string): boolean {
  return new RegExp(SNAPSHOT_NAME_PATTERN).test(name);
}
