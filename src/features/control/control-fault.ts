/**
 * A fault the rehearsal control API has put in place, as it lists them. Each family of faults (the
 * source's calls to the target, a live migration's) is kept by its own feature; the control service only
 * gathers and clears them (control-service.ts).
 */
export interface ActiveFault {
  /** Which family the fault belongs to, e.g. `targetCall` or `liveMigration`. */
  family: string;
  /** Unique within its family: what `livelink control list-faults` shows to tell faults apart. */
  id: string;
  /** When it was put in place (ISO 8601). */
  createdAt: string;
  /** The family's own fields (the route and the failure, the migration and the phase, ...). */
  details: Readonly<Record<string, unknown>>;
}

/** One family of faults, as the control service sees it. */
export interface FaultSource {
  listFaults(): Promise<ActiveFault[]>;
  /** Clears every fault of the family; resolves to how many there were. */
  clearFaults(): Promise<number>;
}
