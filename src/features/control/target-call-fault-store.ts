import type { TargetCall } from '../migration-link/target-client.js';
import type { TargetCallFault } from './target-call-fault.js';

/**
 * Where the target-call faults are kept. "Active" at `now`: not expired (expiresAt after `now`, or none)
 * and with calls left (remainingCalls above 0, or none).
 */
export interface TargetCallFaultStore {
  add(fault: TargetCallFault): Promise<void>;
  /** The active faults, oldest first. */
  listActive(now: string): Promise<TargetCallFault[]>;
  /**
   * The oldest active fault of `call`, counting one of its calls: two nodes taking at once never take the
   * same last call. As it was before the call was counted.
   */
  take(call: TargetCall, now: string): Promise<TargetCallFault | undefined>;
  /** Removes every fault, active or spent; resolves to how many were active. */
  clear(now: string): Promise<number>;
}
