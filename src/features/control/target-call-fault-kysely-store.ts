import type { Selectable } from 'kysely';
import type { Db } from '../../persistence/database.js';
import type { ControlTargetCallFaultRow } from '../../persistence/schema.js';
import type { InjectedFailure, TargetCall } from '../migration-link/target-client.js';
import type { TargetCallFault } from './target-call-fault.js';
import type { TargetCallFaultStore } from './target-call-fault-store.js';

type Row = Selectable<ControlTargetCallFaultRow>;

/** TargetCallFaultStore on Kysely: one implementation for SQLite and PostgreSQL. */
export class TargetCallFaultKyselyStore implements TargetCallFaultStore {
  constructor(private readonly db: Db) {}

  async add(fault: TargetCallFault): Promise<void> {
    await this.db
      .insertInto('control_target_call_faults')
      .values({
        id: fault.id,
        call: fault.call,
        failure: JSON.stringify(fault.failure),
        remaining_calls: fault.remainingCalls,
        expires_at: fault.expiresAt,
        created_at: fault.createdAt,
      })
      .execute();
  }

  async listActive(now: string): Promise<TargetCallFault[]> {
    return (await this.active(now).selectAll().orderBy('created_at').orderBy('id').execute()).map(toFault);
  }

  async take(call: TargetCall, now: string): Promise<TargetCallFault | undefined> {
    const candidates = await this.active(now).selectAll().where('call', '=', call).orderBy('created_at').orderBy('id').execute();
    for (const row of candidates) {
      if (row.remaining_calls === null) return toFault(row);
      // Counted only if a call is still left when the update runs: the row lock (PostgreSQL) or the
      // database lock (SQLite) makes the check and the count one step.
      const counted = await this.db
        .updateTable('control_target_call_faults')
        .set((eb) => ({ remaining_calls: eb('remaining_calls', '-', 1) }))
        .where('id', '=', row.id)
        .where('remaining_calls', '>', 0)
        .executeTakeFirst();
      if (counted.numUpdatedRows > 0n) return toFault(row);
    }
    return undefined;
  }

  async clear(now: string): Promise<number> {
    const active = await this.active(now)
      .select((eb) => eb.fn.countAll<number | string>().as('count'))
      .executeTakeFirstOrThrow();
    await this.db.deleteFrom('control_target_call_faults').execute();
    return Number(active.count);
  }

  private active(now: string) {
    return this.db
      .selectFrom('control_target_call_faults')
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .where((eb) => eb.or([eb('remaining_calls', 'is', null), eb('remaining_calls', '>', 0)]));
  }
}

function toFault(row: Row): TargetCallFault {
  return {
    id: row.id,
    call: row.call as TargetCall,
    failure: JSON.parse(row.failure) as InjectedFailure,
    remainingCalls: row.remaining_calls,
    expiresAt: row.expires_at,
    createdAt: row.created_at,
  };
}
