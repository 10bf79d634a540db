import type { InjectedFailure, TargetCall } from '../migration-link/target-client.js';

/**
 * A fault on the source's calls to the target: which call, how it fails, and for how long. Kept in the
 * database, so every node sharing it applies it (the sync loop runs on whichever node holds the lease).
 */
export interface TargetCallFault {
  id: string;
  call: TargetCall;
  failure: InjectedFailure;
  /** How many more calls it fails; null: every call until it expires or is cleared. */
  remainingCalls: number | null;
  /** When it stops failing calls (ISO 8601, read against the program's clock); null: never. */
  expiresAt: string | null;
  createdAt: string;
}
