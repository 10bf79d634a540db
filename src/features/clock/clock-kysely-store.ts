import type { Db } from '../../persistence/database.js';
import type { ClockStore } from './clock-store.js';

/** The single row of control_clock. */
const CLOCK_ROW = 1;

export class ClockKyselyStore implements ClockStore {
  constructor(private readonly db: Db) {}

  async offset(): Promise<number> {
    const row = await this.db.selectFrom('control_clock').select('offset_ms').where('id', '=', CLOCK_ROW).executeTakeFirst();
    return row === undefined ? 0 : Number(row.offset_ms);
  }

  async setOffset(offsetMs: number, changedAt: string): Promise<void> {
    if (offsetMs === 0) {
      await this.db.deleteFrom('control_clock').where('id', '=', CLOCK_ROW).execute();
      return;
    }
    await this.db
      .insertInto('control_clock')
      .values({ id: CLOCK_ROW, offset_ms: offsetMs, changed_at: changedAt })
      .onConflict((oc) => oc.column('id').doUpdateSet({ offset_ms: offsetMs, changed_at: changedAt }))
      .execute();
  }
}
