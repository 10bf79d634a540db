/** Where the rehearsal clock's offset is kept, so that every node sharing the database follows one clock. */
export interface ClockStore {
  /** The stored offset in milliseconds; 0 when none is stored (real time). */
  offset(): Promise<number>;
  /** Stores the offset (0: back to real time), with when it was changed. */
  setOffset(offsetMs: number, changedAt: string): Promise<void>;
}
