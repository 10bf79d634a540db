/**
 * Replay protection for Digest answers: each (nonce, nc) pair may succeed once
 * (RFC 7616 §3.4, §5.5).
 *
 * nc is deliberately not required to start at 1 or to increase: needle always
 * sends 2, urllib uses a process-wide counter, and digest-fetch sends the same
 * counter for parallel calls (digest-clients.md items 10–11). Only the exact
 * pair is refused the second time.
 *
 * The caller must consult the guard only after the digest has verified, so
 * that forged requests cannot use up a real client's counts (the Jetty and
 * pre-fix Apache anti-pattern, httpd test_007).
 */

export interface ReplayGuard {
  /**
   * True the first time (nonce, nc) is seen, false on every later call.
   * Use nc = '' for an RFC 2069 answer (no qop): its nc is not covered by the
   * digest, so such a nonce is good once. `expiresAtMs` is when the nonce
   * stops being fresh; the pair need not be remembered after that, since the
   * nonce check refuses it by then. It must be a function of the nonce.
   */
  firstUse(nonce: string, nc: string, expiresAtMs: number): Promise<boolean>;
}

/** Default cap on remembered pairs; at roughly 100–200 bytes each, some 100–200 MB at worst. */
export const DEFAULT_MAX_TRACKED_PAIRS = 1_000_000;

interface NonceEntry {
  nonce: string;
  expiresAtMs: number;
  ncs: Set<string>;
}

/** Heap slot: the expiry the entry had when pushed (the entry may have been extended since). */
interface HeapSlot {
  expiresAtMs: number;
  entry: NonceEntry;
}

/**
 * In-memory guard. It holds within ONE process only: with several API nodes
 * a replay sent to another node would not be seen, so a database-backed guard
 * (an atomic insert on a unique key) is needed there.
 *
 * Memory is bounded: pairs are forgotten once their nonce has expired (swept
 * lazily on each call, cheapest-to-expire first through a min-heap), and at
 * `maxPairs` new pairs are refused rather than stored. Refusing fails closed:
 * a flood can only deny service to new pairs until the oldest expire, and it
 * takes authenticated requests to fill the table, since unauthenticated ones
 * never reach the guard.
 */
export class MemoryReplayGuard implements ReplayGuard {
  readonly #now: () => number;
  readonly #maxPairs: number;
  readonly #byNonce = new Map<string, NonceEntry>();
  readonly #heap: HeapSlot[] = [];
  #pairCount = 0;

  constructor(options: { now?: () => number; maxPairs?: number } = {}) {
    const maxPairs = options.maxPairs ?? DEFAULT_MAX_TRACKED_PAIRS;
    if (!Number.isSafeInteger(maxPairs) || maxPairs < 1) {
      throw new TypeError('maxPairs must be a positive integer');
    }
    this.#now = options.now ?? Date.now;
    this.#maxPairs = maxPairs;
  }

  /** Number of (nonce, nc) pairs currently remembered (for tests and metrics). */
  get size(): number {
    return this.#pairCount;
  }

  // async only to satisfy the interface: the check-and-set below has no await
  // in it, so it is atomic with respect to other calls in this process.
  async firstUse(nonce: string, nc: string, expiresAtMs: number): Promise<boolean> {
    const now = this.#now();
    this.#sweep(now);
    // An expired (or nonsensical) expiry cannot be tracked: it would be swept
    // at once and a repeat would then pass. Refuse it instead.
    if (!Number.isFinite(now) || !(expiresAtMs >= now)) return false;

    const entry = this.#byNonce.get(nonce);
    if (entry?.ncs.has(nc)) return false;
    if (this.#pairCount >= this.#maxPairs) return false;

    if (entry === undefined) {
      const created: NonceEntry = { nonce, expiresAtMs, ncs: new Set([nc]) };
      this.#byNonce.set(nonce, created);
      this.#push({ expiresAtMs, entry: created });
    } else {
      // Keep the pair for the longest expiry ever claimed, so that it is
      // never forgotten while some caller still considers the nonce live.
      if (expiresAtMs > entry.expiresAtMs) entry.expiresAtMs = expiresAtMs;
      entry.ncs.add(nc);
    }
    this.#pairCount++;
    return true;
  }

  #sweep(now: number): void {
    for (;;) {
      const top = this.#heap[0];
      // Strictly after expiry: at expiresAtMs the nonce still checks as fresh.
      if (top === undefined || !(top.expiresAtMs < now)) return;
      this.#pop();
      if (top.entry.expiresAtMs > top.expiresAtMs) {
        // Extended since it was pushed: re-queue at its current expiry.
        this.#push({ expiresAtMs: top.entry.expiresAtMs, entry: top.entry });
        continue;
      }
      this.#byNonce.delete(top.entry.nonce);
      this.#pairCount -= top.entry.ncs.size;
    }
  }

  #push(slot: HeapSlot): void {
    const heap = this.#heap;
    heap.push(slot);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent] as HeapSlot;
      if (p.expiresAtMs <= slot.expiresAtMs) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = slot;
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop();
    if (last === undefined || heap.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      let smallestAt = last.expiresAtMs;
      const l = heap[left];
      if (l !== undefined && l.expiresAtMs < smallestAt) {
        smallest = left;
        smallestAt = l.expiresAtMs;
      }
      const r = heap[right];
      if (r !== undefined && r.expiresAtMs < smallestAt) smallest = right;
      if (smallest === i) break;
      heap[i] = heap[smallest] as HeapSlot;
      i = smallest;
    }
    heap[i] = last;
  }
}
