/**
 * Replay protection for Digest answers: each (nonce, nc) pair may succeed once
 * (RFC 7616 §3.4, §5.5).
 *
 * nc is deliberately not required to start at 1 or to increase: needle always
 * sends 2, urllib uses a process-wide counter, and digest-fetch sends the same
 * counter for parallel calls; a server that demands 00000001 first breaks the
 * first two from their second call on. Only the exact pair is refused the
 * second time.
 *
 * The caller must consult the guard only after the digest has verified, so
 * that forged requests cannot use up a real client's counts (the Jetty and
 * pre-fix Apache anti-pattern, httpd test_007).
 */

import { createHash } from 'node:crypto';
import { ExpiryHeap, FingerprintTable } from './fingerprint-table.js';
import { MAC_WORDS, macWords, MAX_NONCE_COUNT, NO_EPOCH } from './nonce.js';

/**
 * `first`: the pair was not seen before, and now is. `replay`: it was. `stale`: the guard cannot tell,
 * because the records of the nonce's epoch are gone (or, with several nodes, are another node's): the
 * answer is refused, and the client is told to take a fresh nonce (stale=true), which it does without
 * reporting bad credentials.
 */
export type ReplayVerdict = 'first' | 'replay' | 'stale';

export interface ReplayGuard {
  /**
   * The epoch new nonces are minted in. An epoch names one set of replay records: records that can be
   * lost (a process's memory, PostgreSQL's unlogged table) are lost with their epoch, so the nonces
   * minted in it stop being accepted at the same moment their records go.
   */
  currentEpoch(): string;
  /**
   * Claims (nonce, nc) for the answer being authenticated. Use nc = '' for an RFC 2069 answer (no qop):
   * its nc is not covered by the digest, so such a nonce is good once. `epoch` is the one the nonce
   * carries (its MAC covers it). `expiresAtMs` is when the nonce stops being fresh; the pair need not be
   * remembered after that, since the nonce check refuses it by then. It must be a function of the nonce.
   */
  claim(nonce: string, epoch: string, nc: string, expiresAtMs: number): Promise<ReplayVerdict>;
}

/**
 * Default cap on remembered nonces. A nonce answered once (curl, mongocli and the Go client take a
 * fresh one per call) costs about 46 bytes: its fingerprint, expiry and first nc in the table and its
 * place in the expiry heap (fingerprint-table.ts), with the table between half and 70 % full. One
 * answered with several nc (Python requests) also takes a 129-byte bitmap. So some 70 MB at the very
 * worst (180 MB if every nonce took a bitmap); reaching it takes over 3,000 authenticated fresh nonces a
 * second for a whole nonce lifetime (300 s).
 */
export const DEFAULT_MAX_TRACKED_NONCES = 1_000_000;

/** One bit per nc from 0 to MAX_NONCE_COUNT: 1,025 bits. */
const BITMAP_BYTES = (MAX_NONCE_COUNT >> 3) + 1;
/**
 * Bitmaps live in shared chunks of this many rather than one Uint8Array each: a typed array of its
 * own costs some 480 bytes of object and backing-store overhead on top of its 129 bytes.
 */
const BITMAPS_PER_CHUNK = 1024;
/** In the table's bitmap field: the nonce has been answered with one nc only, kept in firstNc. */
const NO_BITMAP = -1;
/** RFC 7616 §3.4: nc is 8 hexadecimal digits (case folded here, as the authenticator does). */
const NC_PATTERN = /^[0-9a-fA-F]{8}$/;

/**
 * The nc as a bit index, or -1 when it cannot be tracked. '' (RFC 2069, no qop) takes bit 0: the
 * nonce is then good once. A qop answer with nc 00000000 shares that bit, so of the two only the
 * first passes; clients count from 1, and refusing fails closed.
 */
function ncIndex(nc: string): number {
  if (nc === '') return 0;
  if (!NC_PATTERN.test(nc)) return -1;
  const value = Number.parseInt(nc, 16);
  return value <= MAX_NONCE_COUNT ? value : -1;
}

/**
 * Writes the nonce's 96-bit fingerprint into `into`: the first 96 bits of its MAC for one of ours (the
 * guard sees a nonce only once its MAC has verified), the first 96 bits of its SHA-256 for any other
 * string. Never all zero, which marks an empty slot. Two nonces alive at once share a fingerprint with a
 * chance of n² / 2^97 (10^-17 at a million); no one without the nonce key can make them, and when it
 * happens the later nonce is taken for the earlier one: an answer refused as a replay, or, with several
 * nodes, counted on the node that owns the earlier one.
 */
function fingerprint(nonce: string, into: Uint32Array): void {
  if (!macWords(nonce, into)) {
    const digest = createHash('sha256').update(nonce, 'utf8').digest();
    for (let word = 0; word < MAC_WORDS; word += 1) into[word] = digest.readUInt32BE(word * 4);
  }
  if (into[0] === 0 && into[1] === 0 && into[2] === 0) into[2] = 1;
}

/**
 * In-memory guard. It holds within ONE process only: with several API nodes
 * a replay sent to another node would not be seen, so a database-backed guard
 * (an atomic insert on a unique key) is needed there.
 *
 * Per nonce it keeps, under the nonce's fingerprint, the first nc answered and,
 * from the second on, a 1,025-bit bitmap indexed by nc (the authenticator sends
 * no nc above MAX_NONCE_COUNT here), so a client re-using a nonce costs one bit
 * per answer, and one answering each nonce once costs no bitmap at all. Memory
 * is bounded: whole nonces are forgotten once expired (swept lazily on each
 * call, soonest expiry first through a min-heap), and at `maxNonces` new nonces
 * are refused rather than stored. Refusing fails closed: a flood can only deny
 * service to new nonces until the oldest expire, and it takes authenticated
 * requests to fill the table, since unauthenticated ones never reach the guard.
 */
export class MemoryReplayGuard implements ReplayGuard {
  readonly #now: () => number;
  readonly #maxNonces: number;
  readonly #table = new FingerprintTable();
  readonly #heap = new ExpiryHeap();
  /** The fingerprint of the nonce at hand (no allocation per call). */
  readonly #print = new Uint32Array(MAC_WORDS);
  readonly #chunks: Uint8Array[] = [];
  #bitmapCount = 0;
  /** Bitmaps freed by expiry (cleared), re-used before new ones are added. */
  readonly #freeBitmaps: number[] = [];
  #pairCount = 0;

  readonly #epoch: string | undefined;

  /**
   * With `epoch`, only nonces of that epoch are claimed and any other is stale: give each process a new
   * one, so that a nonce answered before a restart (whose records went with the old process) cannot be
   * replayed after it. Without, every epoch is accepted (the guard is then one part of another's).
   */
  constructor(options: { now?: () => number; maxNonces?: number; epoch?: string } = {}) {
    this.#epoch = options.epoch;
    const maxNonces = options.maxNonces ?? DEFAULT_MAX_TRACKED_NONCES;
    if (!Number.isSafeInteger(maxNonces) || maxNonces < 1) {
      throw new TypeError('maxNonces must be a positive integer');
    }
    this.#now = options.now ?? Date.now;
    this.#maxNonces = maxNonces;
  }

  /** Number of nonces currently remembered (for tests and metrics). */
  get size(): number {
    return this.#table.size;
  }

  /** Number of (nonce, nc) pairs currently remembered (for tests and metrics). */
  get pairCount(): number {
    return this.#pairCount;
  }

  currentEpoch(): string {
    return this.#epoch ?? NO_EPOCH;
  }

  // A promise only to satisfy the interface: the check-and-set in #claim has
  // no await in it, so it is atomic with respect to other calls in this process.
  claim(nonce: string, epoch: string, nc: string, expiresAtMs: number): Promise<ReplayVerdict> {
    if (this.#epoch !== undefined && epoch !== this.#epoch) return Promise.resolve('stale');
    return Promise.resolve(this.#claim(nonce, nc, expiresAtMs) ? 'first' : 'replay');
  }

  /** True the first time (nonce, nc) is seen, false on every later call (whatever the nonce's epoch). */
  firstUse(nonce: string, nc: string, expiresAtMs: number): Promise<boolean> {
    return Promise.resolve(this.#claim(nonce, nc, expiresAtMs));
  }

  /** Whether the nonce has records here (an expired one may still, until the next claim sweeps it). */
  holds(nonce: string): boolean {
    const print = this.#print;
    fingerprint(nonce, print);
    return this.#table.find(print[0] as number, print[1] as number, print[2] as number) >= 0;
  }

  #claim(nonce: string, nc: string, expiresAtMs: number): boolean {
    const now = this.#now();
    this.#sweep(now);
    // An expired (or nonsensical) expiry cannot be tracked: it would be swept
    // at once and a repeat would then pass. Refuse it instead.
    if (!Number.isFinite(now) || !(expiresAtMs >= now)) return false;
    const index = ncIndex(nc);
    if (index < 0) return false;

    const table = this.#table;
    const print = this.#print;
    fingerprint(nonce, print);
    const a = print[0] as number;
    const b = print[1] as number;
    const c = print[2] as number;
    const slot = table.find(a, b, c);
    if (slot < 0) {
      if (table.size >= this.#maxNonces) return false;
      const fresh = table.insert(a, b, c);
      table.expiry[fresh] = expiresAtMs;
      table.firstNc[fresh] = index;
      table.bitmap[fresh] = NO_BITMAP;
      this.#heap.push(expiresAtMs, a, b, c);
      this.#pairCount++;
      return true;
    }
    if (expiresAtMs > (table.expiry[slot] as number)) {
      // Keep the nonce for the longest expiry ever claimed, so that it is
      // never forgotten while some caller still considers it live.
      table.expiry[slot] = expiresAtMs;
    }

    let bitmap = table.bitmap[slot] as number;
    if (bitmap === NO_BITMAP) {
      const first = table.firstNc[slot] as number;
      if (index === first) return false;
      // A second nc: from now on the nonce's answers are bits.
      bitmap = this.#allocateBitmap();
      table.bitmap[slot] = bitmap;
      this.#setBit(bitmap, first);
    }
    if (!this.#setBit(bitmap, index)) return false;
    this.#pairCount++;
    return true;
  }

  #allocateBitmap(): number {
    const reused = this.#freeBitmaps.pop();
    if (reused !== undefined) return reused;
    const bitmap = this.#bitmapCount++;
    if (bitmap % BITMAPS_PER_CHUNK === 0) this.#chunks.push(new Uint8Array(BITMAPS_PER_CHUNK * BITMAP_BYTES));
    return bitmap;
  }

  /** Sets the nc's bit in the bitmap; false when it was set already (a replay). */
  #setBit(bitmap: number, index: number): boolean {
    const chunk = this.#chunks[Math.floor(bitmap / BITMAPS_PER_CHUNK)] as Uint8Array;
    const byte = (bitmap % BITMAPS_PER_CHUNK) * BITMAP_BYTES + (index >> 3);
    const bit = 1 << (index & 7);
    const current = chunk[byte] as number;
    if ((current & bit) !== 0) return false;
    chunk[byte] = current | bit;
    return true;
  }

  #release(slot: number): void {
    const bitmap = this.#table.bitmap[slot] as number;
    if (bitmap === NO_BITMAP) {
      this.#pairCount -= 1;
    } else {
      const chunk = this.#chunks[Math.floor(bitmap / BITMAPS_PER_CHUNK)] as Uint8Array;
      const start = (bitmap % BITMAPS_PER_CHUNK) * BITMAP_BYTES;
      let bits = 0;
      for (let i = start; i < start + BITMAP_BYTES; i++) {
        const value = chunk[i] as number;
        if (value === 0) continue;
        bits += popcount8(value);
        chunk[i] = 0;
      }
      this.#pairCount -= bits;
      this.#freeBitmaps.push(bitmap);
    }
    this.#table.remove(slot);
  }

  #sweep(now: number): void {
    const heap = this.#heap;
    const table = this.#table;
    for (;;) {
      const topExpiry = heap.topExpiry();
      // Strictly after expiry: at expiresAtMs the nonce still checks as fresh.
      if (topExpiry === undefined || !(topExpiry < now)) return;
      const a = heap.topWord(0);
      const b = heap.topWord(1);
      const c = heap.topWord(2);
      heap.pop();
      const slot = table.find(a, b, c);
      if (slot < 0) continue;
      const current = table.expiry[slot] as number;
      if (current > topExpiry) {
        // Extended since it was pushed: re-queue at its current expiry.
        heap.push(current, a, b, c);
        continue;
      }
      this.#release(slot);
    }
  }
}

function popcount8(value: number): number {
  let v = value - ((value >> 1) & 0x55);
  v = (v & 0x33) + ((v >> 2) & 0x33);
  return (v + (v >> 4)) & 0x0f;
}
