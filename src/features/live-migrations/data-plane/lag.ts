/**
 * Lag: the age of the last change applied, from the source's cluster time of that change, in whole
 * seconds; 0 when the stream is caught up (its last batch was empty) and nothing read is still
 * waiting to be applied. Before any change is applied the position is the start point, so a tail
 * that begins far behind reports how far.
 *
 * A change read while caught up moves the position to its own cluster time: everything before it is
 * applied already, so the tail is as far behind as that change is old, not as old as the last change
 * applied before a quiet stretch (which would report the quiet stretch itself as lag).
 *
 * The cluster time is the source's clock and `now` the migration host's, so the figure is off by the
 * clocks' skew (never below 0); lag 0 itself does not depend on the clocks.
 */
import type { Timestamp } from 'mongodb';

export class LagGauge {
  private positionSeconds: number | undefined;
  private caughtUp = false;

  /** The tail starts (or resumes) at this cluster time. */
  startAt(clusterTime: Timestamp): void {
    this.positionSeconds = clusterTime.t;
    this.caughtUp = false;
  }

  /** A change was read and waits to be applied. */
  changeRead(clusterTime?: Timestamp): void {
    if (this.caughtUp && clusterTime !== undefined) this.positionSeconds = Math.max(this.positionSeconds ?? 0, clusterTime.t);
    this.caughtUp = false;
  }

  /** Changes up to this cluster time are applied. */
  appliedThrough(clusterTime: Timestamp | undefined): void {
    if (clusterTime !== undefined) this.positionSeconds = clusterTime.t;
  }

  /** The stream answered an empty batch and every change read so far is applied. */
  markCaughtUp(): void {
    this.caughtUp = true;
  }

  get isCaughtUp(): boolean {
    return this.caughtUp;
  }

  /**
   * Undefined until the tail has a position. Real time by default: the position is the source server's
   * own clock (its oplog's cluster time), and this runs in the migration host, outside the server's clock.
   */
  seconds(nowMs: number = Date.now()): number | undefined {
    if (this.caughtUp) return 0;
    if (this.positionSeconds === undefined) return undefined;
    return Math.max(0, Math.floor(nowMs / 1000) - this.positionSeconds);
  }
}
