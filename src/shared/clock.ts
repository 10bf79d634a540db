/**
 * The time the whole program reads: real time plus an offset that the rehearsal controls move forward
 * ("advance the clock by 121 hours") and set back to zero ("reset to real time"). Nonces, link-tokens,
 * sessions, live migrations and every timestamp livelink stores take their time from `now()`.
 *
 * The offset is never negative: the clock is always at or after real time. What must hold in real time
 * whatever the rehearsal clock says (a lease that detects a dead node, a timeout, how long a replay
 * record is kept) reads `realNowMs()`, and relies on that: a nonce that is expired at real time stays
 * expired however the clock is moved afterwards.
 */
export class Clock {
  #offsetMs = 0;

  /** `realTimeMs` is the underlying real time; tests hand in their own to move it without the controls. */
  constructor(private readonly realTimeMs: () => number = Date.now) {}

  now(): Date {
    return new Date(this.nowMs());
  }

  nowMs(): number {
    return this.realTimeMs() + this.#offsetMs;
  }

  /** Real time, unmoved by the rehearsal controls: for leases, timeouts and what guards a replay. */
  realNowMs(): number {
    return this.realTimeMs();
  }

  /** How far ahead of real time the clock is, in milliseconds (0 at real time). */
  get offsetMs(): number {
    return this.#offsetMs;
  }

  /** Moves the clock forward by `ms` (a whole, non-negative number of milliseconds); returns the new offset. */
  advance(ms: number): number {
    checkOffset(ms, 'an advance');
    return this.setOffset(this.#offsetMs + ms);
  }

  /** Puts the clock `ms` ahead of real time: what another node (or the database) says the offset is. */
  setOffset(ms: number): number {
    checkOffset(ms, 'a clock offset');
    this.#offsetMs = ms;
    return ms;
  }

  /** Back to real time. */
  reset(): void {
    this.#offsetMs = 0;
  }
}

/**
 * The furthest the clock may be moved ahead: 100 years of 365 days. Far beyond any expiry livelink has
 * (the longest is a migration's, 8760 hours at most), and far inside what a Date and a nonce's 48-bit
 * time can hold.
 */
export const MAX_CLOCK_OFFSET_MS = 100 * 365 * 24 * 3_600_000;

function checkOffset(ms: number, what: string): void {
  if (!Number.isSafeInteger(ms) || ms < 0 || ms > MAX_CLOCK_OFFSET_MS) {
    throw new RangeError(`${what} must be a whole number of milliseconds from 0 to ${MAX_CLOCK_OFFSET_MS}`);
  }
}
