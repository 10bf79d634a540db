/** The most keys one read is asked for; a turn with more asks splits them over several reads. */
export const MAX_BATCH_KEYS = 100;

interface Waiter<V> {
  resolve(value: V | undefined): void;
  reject(error: unknown): void;
}

/**
 * Reads by key asked for during one turn of the event loop, answered together by one read of all their
 * keys, run once the turn's other work is done (setImmediate). Under load many requests read the same
 * few rows in one turn (every status request of an organization reads its link): one statement then
 * answers them all instead of one each, and on PostgreSQL one round trip instead of one a request.
 *
 * Not a cache: every answer comes from a read that began after it was asked for, so a request sees every
 * write committed before it arrived, on any node. Nothing is kept between reads. A read that fails
 * fails every ask it was answering, as their own reads would have.
 */
export class BatchedRead<V> {
  #asked = new Map<string, Waiter<V>[]>();
  #scheduled = false;
  readonly #flush = (): void => {
    this.#scheduled = false;
    const asked = this.#asked;
    this.#asked = new Map();
    const keys = [...asked.keys()];
    for (let start = 0; start < keys.length; start += MAX_BATCH_KEYS) {
      const chunk = keys.slice(start, start + MAX_BATCH_KEYS);
      this.readMany(chunk).then(
        (found) => {
          for (const key of chunk) for (const waiter of asked.get(key) ?? []) waiter.resolve(found.get(key));
        },
        (error: unknown) => {
          for (const key of chunk) for (const waiter of asked.get(key) ?? []) waiter.reject(error);
        },
      );
    }
  };

  /** `readMany` reads the rows of the keys it is given (at most MAX_BATCH_KEYS, no two alike); absent keys are left out. */
  constructor(private readonly readMany: (keys: readonly string[]) => Promise<ReadonlyMap<string, V>>) {}

  /** The row of `key` as a read begun after this call finds it; undefined when there is none. */
  get(key: string): Promise<V | undefined> {
    return new Promise((resolve, reject) => {
      const waiters = this.#asked.get(key);
      if (waiters === undefined) this.#asked.set(key, [{ resolve, reject }]);
      else waiters.push({ resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(this.#flush);
      }
    });
  }
}
