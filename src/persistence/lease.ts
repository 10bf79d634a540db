import type { Db } from './database.js';

/**
 * A named lease in the database: work that must run on one node at a time holds it, renews it while it
 * works, and another node takes it over once it has not been renewed for `ttlMs` (the holder died).
 * One atomic statement takes or renews it, so two nodes can never both hold it.
 */
export class Lease {
  constructor(
    private readonly db: Db,
    private readonly name: string,
    private readonly holder: string,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes the lease if it is free or expired, renews it if this holder has it; true when held. */
  async acquire(): Promise<boolean> {
    const now = this.now();
    const result = await this.db
      .insertInto('leases')
      .values({ name: this.name, holder: this.holder, expires_at_ms: now + this.ttlMs })
      .onConflict((oc) =>
        oc
          .column('name')
          .doUpdateSet({ holder: this.holder, expires_at_ms: now + this.ttlMs })
          .where((eb) => eb.or([eb('leases.holder', '=', this.holder), eb('leases.expires_at_ms', '<', now)])),
      )
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  /** Lets another node take over at once (a clean shutdown). */
  async release(): Promise<void> {
    await this.db.deleteFrom('leases').where('name', '=', this.name).where('holder', '=', this.holder).execute();
  }

  async currentHolder(): Promise<string | undefined> {
    const row = await this.db.selectFrom('leases').select(['holder', 'expires_at_ms']).where('name', '=', this.name).executeTakeFirst();
    return row !== undefined && Number(row.expires_at_ms) >= this.now() ? row.holder : undefined;
  }
}
