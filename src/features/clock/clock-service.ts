import { apiErrors } from '../../http/api-error.js';
import type { WriteTransaction } from '../../persistence/write-transaction.js';
import { MAX_CLOCK_OFFSET_MS, type Clock } from '../../shared/clock.js';
import { formatDuration } from '../../shared/duration.js';
import type { ClockStore } from './clock-store.js';

/** What the control API answers about the clock. */
export interface ClockReading {
  /** The time livelink goes by (ISO 8601). */
  now: string;
  /** Real time, for comparison. */
  realNow: string;
  /** How far ahead of real time the clock is. */
  offsetMs: number;
  /** The same, as a duration (`121h`, `0s`). */
  offset: string;
}

/**
 * The rehearsal clock's controls. The offset is kept in the database so that every node sharing it goes
 * by one clock: the node that moves it adopts it at once, the others when they next read it (follow()
 * every second), and a node that starts adopts it before it serves. So two nodes disagree for at most
 * about a second after a change, and never by more than that change.
 */
export class ClockService {
  /** Bumped by every change made here, so that a read of the database begun before one cannot undo it. */
  #changes = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly store: ClockStore,
    private readonly transaction: WriteTransaction<{ clock: ClockStore }>,
  ) {}

  reading(): ClockReading {
    const offsetMs = this.clock.offsetMs;
    // Real time read once: read twice, a millisecond could pass between `now` and `realNow`, and the
    // reading would say the clock is 1 ms less ahead than its offset.
    const realNowMs = this.clock.realNowMs();
    return {
      now: new Date(realNowMs + offsetMs).toISOString(),
      realNow: new Date(realNowMs).toISOString(),
      offsetMs,
      offset: formatDuration(offsetMs),
    };
  }

  /** Moves every node's clock forward by `ms` (more than 0). */
  async advance(ms: number): Promise<ClockReading> {
    if (!Number.isSafeInteger(ms) || ms <= 0) throw apiErrors.invalidAttribute('duration', 'the clock only moves forward, by 1ms or more');
    const offset = await this.transaction(async ({ clock }) => {
      const next = (await clock.offset()) + ms;
      if (next > MAX_CLOCK_OFFSET_MS) {
        throw apiErrors.invalidAttribute('duration', `the clock goes at most ${formatDuration(MAX_CLOCK_OFFSET_MS)} ahead of real time`);
      }
      await clock.setOffset(next, this.#realNowIso());
      return next;
    });
    this.#adopt(offset);
    return this.reading();
  }

  /** Puts every node's clock back to real time. */
  async resetToRealTime(): Promise<ClockReading> {
    await this.transaction(({ clock }) => clock.setOffset(0, this.#realNowIso()));
    this.#adopt(0);
    return this.reading();
  }

  /** Adopts the offset stored in the database: what another node (or an earlier run) set. */
  async refresh(): Promise<void> {
    const changes = this.#changes;
    const offset = await this.store.offset();
    if (changes === this.#changes) this.clock.setOffset(offset);
  }

  /** Adopts the stored offset every `intervalMs` until stop(); a failed read is tried again next time. */
  follow(intervalMs: number): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => void this.refresh().catch(() => undefined), intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #adopt(offset: number): void {
    this.#changes += 1;
    this.clock.setOffset(offset);
  }

  #realNowIso(): string {
    return new Date(this.clock.realNowMs()).toISOString();
  }
}
