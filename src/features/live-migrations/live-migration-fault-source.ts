import type { ActiveFault, FaultSource } from '../control/control-fault.js';
import type { LiveMigrationFault } from './live-migration.js';
import type { LiveMigrationService } from './live-migration-service.js';

/** The family name of the migration faults in the control API's list. */
export const LIVE_MIGRATION_FAULT_FAMILY = 'liveMigration';

/**
 * A migration fault as the control API lists it. A migration holds at most one fault of each kind, so
 * `<liveMigrationId>:<kind>` tells faults apart; details carry the migration and what the fault does.
 */
export function activeFaultOf(fault: LiveMigrationFault): ActiveFault {
  const what =
    fault.kind === 'HOLD_LAG' ? { lagSeconds: fault.lagSeconds ?? null } : { phase: fault.phase ?? null, reason: fault.reason ?? null };
  return {
    family: LIVE_MIGRATION_FAULT_FAMILY,
    id: `${fault.liveMigrationId}:${fault.kind}`,
    createdAt: fault.createdAt,
    details: { liveMigrationId: fault.liveMigrationId, kind: fault.kind, ...what },
  };
}

/** The live-migration faults as one family of the control service's faults: listed and cleared with the others. */
export class LiveMigrationFaultSource implements FaultSource {
  constructor(private readonly liveMigrations: Pick<LiveMigrationService, 'listFaults' | 'clearFaults'>) {}

  async listFaults(): Promise<ActiveFault[]> {
    return (await this.liveMigrations.listFaults()).map(activeFaultOf);
  }

  clearFaults(): Promise<number> {
    return this.liveMigrations.clearFaults();
  }
}
