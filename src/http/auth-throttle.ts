import type { AuthFailureThrottle } from './digest/digest-authenticator.js';

/** D-21's budget: 5 failed answers in 60 s from one (public key, address) block that pair for 300 s. */
export interface ThrottlePolicy {
  maxFailures: number;
  windowMs: number;
  blockMs: number;
}

export const DEFAULT_THROTTLE_POLICY: ThrottlePolicy = { maxFailures: 5, windowMs: 60_000, blockMs: 300_000 };

interface Counter {
  windowStartMs: number;
  failures: number;
  blockedUntilMs: number;
}

/**
 * The throttle of one process (SQLite, one node). Bounded: at most `maxPairs` counters; when full, the
 * counters whose window and block are over are dropped first, and if none are, new pairs go uncounted
 * rather than evicting counters that are blocking someone.
 */
export class MemoryAuthFailureThrottle implements AuthFailureThrottle {
  readonly #counters = new Map<string, Counter>();

  constructor(
    private readonly policy: ThrottlePolicy = DEFAULT_THROTTLE_POLICY,
    private readonly now: () => number = Date.now,
    private readonly maxPairs = 100_000,
  ) {}

  // The interface is asynchronous for the shared throttle, which asks its database; this one answers at once.
  retryAfterSeconds(publicKey: string, address: string): Promise<number> {
    const counter = this.#counters.get(pairOf(publicKey, address));
    return Promise.resolve(counter === undefined ? 0 : secondsUntil(counter.blockedUntilMs, this.now()));
  }

  recordFailure(publicKey: string, address: string): Promise<void> {
    this.#count(publicKey, address);
    return Promise.resolve();
  }

  #count(publicKey: string, address: string): void {
    const now = this.now();
    const pair = pairOf(publicKey, address);
    let counter = this.#counters.get(pair);
    if (counter === undefined) {
      if (this.#counters.size >= this.maxPairs && !this.#sweep(now)) return;
      counter = { windowStartMs: now, failures: 0, blockedUntilMs: 0 };
      this.#counters.set(pair, counter);
    }
    if (now - counter.windowStartMs > this.policy.windowMs) {
      counter.windowStartMs = now;
      counter.failures = 0;
    }
    counter.failures += 1;
    if (counter.failures >= this.policy.maxFailures) counter.blockedUntilMs = now + this.policy.blockMs;
  }

  /** Drops finished counters; true when there is room again. */
  #sweep(now: number): boolean {
    for (const [pair, counter] of this.#counters) {
      if (counter.blockedUntilMs <= now && now - counter.windowStartMs > this.policy.windowMs) this.#counters.delete(pair);
    }
    return this.#counters.size < this.maxPairs;
  }
}

export function pairOf(publicKey: string, address: string): string {
  return `${publicKey.slice(0, 64)}|${address}`;
}

export function secondsUntil(untilMs: number, nowMs: number): number {
  return untilMs > nowMs ? Math.ceil((untilMs - nowMs) / 1000) : 0;
}
