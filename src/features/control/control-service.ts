import type { ActiveFault, FaultSource } from './control-fault.js';

/**
 * The rehearsal controls' own service: the faults of every family, listed and cleared together. A
 * family's faults are put in place through that family's service (the control routes call it directly).
 */
export class ControlService {
  constructor(private readonly faultSources: readonly FaultSource[]) {}

  /** Every active fault of every family, oldest first. */
  async listFaults(): Promise<ActiveFault[]> {
    const lists = await Promise.all(this.faultSources.map((source) => source.listFaults()));
    return lists.flat().sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  /** Clears the faults of every family; resolves to how many there were. */
  async clearFaults(): Promise<number> {
    const counts = await Promise.all(this.faultSources.map((source) => source.clearFaults()));
    return counts.reduce((sum, count) => sum + count, 0);
  }
}
