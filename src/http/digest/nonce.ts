/**
 * Stateless, self-verifying Digest nonces (the RFC 7616 §3.3 suggestion of a
 * time-stamp plus a keyed hash, as Apache httpd and Spring do).
 *
 * Any node holding the same key can check a nonce that another node minted,
 * with no shared memory, and an unauthenticated request stores nothing. This
 * matters because several clients (urllib, needle, digest-fetch) send the
 * authenticated retry on a new TCP connection, which may land on another node.
 *
 * Layout, all lower-case hex so it is alphanumeric (needle and @mhoc break on
 * `=`, the Go client on `", "`):
 *   12 hex  issue time in ms since the epoch (48 bits, good until year 10889)
 *    8 hex  the replay epoch it was minted in: the replay guard refuses a nonce of an epoch whose
 *           replay records it no longer has (a restarted process, a PostgreSQL crash), so that a
 *           header answered before the records were lost cannot be replayed after (see replay-guard.ts)
 *   16 hex  8 random bytes, so two nonces minted in the same ms differ
 *   32 hex  HMAC-SHA-256(key, label | time | epoch | random), truncated to 128 bits
 */

import { createHmac, randomFillSync, timingSafeEqual } from 'node:crypto';

export type NonceState = 'fresh' | 'expired' | 'invalid';

/** A nonce dated further than this in the future is refused (clock skew between nodes, D-12). */
export const NONCE_FUTURE_SKEW_MS = 5_000;

/** Keys shorter than this are refused: the MAC is the nonce's only protection. */
export const NONCE_MIN_KEY_BYTES = 32;

/**
 * The most answers one nonce may carry (Jetty's bound, D-16): the authenticator refuses a higher nc
 * with stale=true, and the replay guard keeps one bit per nc up to it.
 */
export const MAX_NONCE_COUNT = 1024;

const TIME_HEX = 12;
export const EPOCH_HEX = 8;
/** The epoch of a minter that is given none (tests, and guards that keep no epochs). */
export const NO_EPOCH = '0'.repeat(EPOCH_HEX);
const EPOCH_PATTERN = new RegExp(`^[0-9a-f]{${EPOCH_HEX}}$`);
const RANDOM_BYTES = 8;
const RANDOM_HEX = RANDOM_BYTES * 2;
const MAC_BYTES = 16;
const MAC_HEX = MAC_BYTES * 2;
const BODY_HEX = TIME_HEX + EPOCH_HEX + RANDOM_HEX;
const NONCE_LENGTH = BODY_HEX + MAC_HEX;
const NONCE_PATTERN = new RegExp(`^[0-9a-f]{${NONCE_LENGTH}}$`);
const MAX_TIME = 2 ** (TIME_HEX * 4) - 1;

// Domain separation: if the same key were ever reused for another MAC, a value
// from that other use could not pass as a nonce.
const MAC_LABEL = 'livelink/digest-nonce/v2\u0000';

/** How many verified nonces are remembered, so a re-used nonce is not MAC-checked on every answer. */
const VERIFIED_CACHE_SIZE = 10_000;
/** Random bytes drawn from the CSPRNG at a time: one call serves many nonces. */
const RANDOM_POOL_BYTES = 4096;

/**
 * A copy of a nonce that does not share memory with the string it was cut from. A nonce parsed out of an
 * Authorization header is a V8 "sliced string" that keeps the whole header alive (some 370 bytes more) for
 * as long as a map that remembers the nonce holds it: the verified cache (the replay guard keeps a
 * fingerprint, not the string).
 */
export function detached(nonce: string): string {
  const copy = Buffer.from(nonce, 'utf8').toString('utf8');
  // A lone surrogate would not survive the round trip, and a different key would let a replay pass.
  return copy === nonce ? copy : nonce;
}

/** The MAC's first 96 bits, as three words, name a nonce to the replay guard (see replay-guard.ts). */
export const MAC_WORDS = 3;

/**
 * Writes the first MAC_WORDS 32-bit words of a well-formed nonce's MAC into `into`; false, writing
 * nothing, for any other string. The MAC is a keyed hash, so these bits are as random as the key makes
 * them, and no one without the key can choose them.
 */
export function macWords(nonce: string, into: Uint32Array): boolean {
  if (nonce.length !== NONCE_LENGTH) return false;
  // One pass over the characters, no regular expression or substrings: every answer on a re-used nonce
  // comes here, with a string freshly cut from its header.
  let a = 0;
  let b = 0;
  let c = 0;
  for (let i = 0; i < NONCE_LENGTH; i += 1) {
    const code = nonce.charCodeAt(i);
    const digit = code >= 48 && code <= 57 ? code - 48 : code >= 97 && code <= 102 ? code - 87 : -1;
    if (digit < 0) return false;
    const at = i - BODY_HEX;
    if (at < 0 || at >= MAC_WORDS * 8) continue;
    if (at < 8) a = ((a << 4) | digit) >>> 0;
    else if (at < 16) b = ((b << 4) | digit) >>> 0;
    else c = ((c << 4) | digit) >>> 0;
  }
  into[0] = a;
  into[1] = b;
  into[2] = c;
  return true;
}

export class NonceMinter {
  readonly #key: Buffer;
  readonly #lifetimeMs: number;
  readonly #now: () => number;
  readonly #epoch: () => string;
  // The MAC depends only on the nonce and the key, so a nonce verified once stays verified.
  readonly #verified = new Map<string, number>();
  readonly #randomPool = Buffer.alloc(RANDOM_POOL_BYTES);
  #randomOffset = RANDOM_POOL_BYTES;

  /** `epoch` names the replay epoch to mint in (EPOCH_HEX lower-case hex), asked at every mint. */
  constructor(options: { key: Buffer; lifetimeMs: number; now?: () => number; epoch?: () => string }) {
    if (!Buffer.isBuffer(options.key) || options.key.length < NONCE_MIN_KEY_BYTES) {
      throw new TypeError(`nonce key must be a Buffer of at least ${NONCE_MIN_KEY_BYTES} bytes`);
    }
    if (!Number.isSafeInteger(options.lifetimeMs) || options.lifetimeMs <= 0) {
      throw new TypeError('nonce lifetimeMs must be a positive integer');
    }
    // Copied so that a caller zeroing or reusing its buffer cannot change ours.
    this.#key = Buffer.from(options.key);
    this.#lifetimeMs = options.lifetimeMs;
    this.#now = options.now ?? Date.now;
    this.#epoch = options.epoch ?? (() => NO_EPOCH);
  }

  mint(): string {
    const issuedAt = Math.floor(this.#now());
    if (!(issuedAt >= 0 && issuedAt <= MAX_TIME)) {
      throw new RangeError('clock value out of range for a nonce');
    }
    const epoch = this.#epoch();
    if (!EPOCH_PATTERN.test(epoch)) throw new RangeError(`a nonce epoch is ${EPOCH_HEX} lower-case hex characters`);
    const body = issuedAt.toString(16).padStart(TIME_HEX, '0') + epoch + this.#random().toString('hex');
    return body + this.#mac(body).toString('hex');
  }

  #random(): Buffer {
    if (this.#randomOffset + RANDOM_BYTES > RANDOM_POOL_BYTES) {
      randomFillSync(this.#randomPool);
      this.#randomOffset = 0;
    }
    const bytes = this.#randomPool.subarray(this.#randomOffset, this.#randomOffset + RANDOM_BYTES);
    this.#randomOffset += RANDOM_BYTES;
    return bytes;
  }

  check(nonce: string): NonceState {
    return this.inspect(nonce).state;
  }

  /**
   * The nonce's state and, when it is one of ours, when it stops being fresh and its epoch: one MAC
   * check for all three.
   */
  inspect(nonce: string): { state: NonceState; expiresAt: number | undefined; epoch: string } {
    const issuedAt = this.#verifiedIssueTime(nonce);
    if (issuedAt === undefined) return { state: 'invalid', expiresAt: undefined, epoch: NO_EPOCH };
    return { state: this.#stateOf(issuedAt), expiresAt: issuedAt + this.#lifetimeMs, epoch: nonce.slice(TIME_HEX, TIME_HEX + EPOCH_HEX) };
  }

  #stateOf(issuedAt: number): NonceState {
    const now = this.#now();
    // Fail closed on a broken clock: with NaN every comparison below is false,
    // which would make any nonce look fresh.
    if (!Number.isFinite(now)) return 'invalid';
    // A nonce from the future was not minted by a node with a sane clock:
    // accepting it would stretch its lifetime beyond lifetimeMs.
    if (issuedAt > now + NONCE_FUTURE_SKEW_MS) return 'invalid';
    if (now - issuedAt > this.#lifetimeMs) return 'expired';
    return 'fresh';
  }

  /** When the nonce stops being fresh (ms since the epoch); undefined if it is not one of ours. */
  expiresAt(nonce: string): number | undefined {
    const issuedAt = this.#verifiedIssueTime(nonce);
    return issuedAt === undefined ? undefined : issuedAt + this.#lifetimeMs;
  }

  #mac(body: string): Buffer {
    return createHmac('sha256', this.#key).update(MAC_LABEL).update(body, 'latin1').digest().subarray(0, MAC_BYTES);
  }

  /** The issue time if the nonce is well-formed and its MAC is ours, else undefined. */
  #verifiedIssueTime(nonce: string): number | undefined {
    const cached = this.#verified.get(nonce);
    if (cached !== undefined) return cached;
    // The shape check is on public data only, so it may short-circuit.
    if (typeof nonce !== 'string' || !NONCE_PATTERN.test(nonce)) return undefined;
    const body = nonce.slice(0, BODY_HEX);
    const presented = Buffer.from(nonce.slice(BODY_HEX), 'hex');
    // Constant time, so that the MAC cannot be guessed byte by byte.
    if (!timingSafeEqual(presented, this.#mac(body))) return undefined;
    const issuedAt = Number.parseInt(nonce.slice(0, TIME_HEX), 16);
    if (this.#verified.size >= VERIFIED_CACHE_SIZE) this.#verified.clear();
    this.#verified.set(detached(nonce), issuedAt);
    return issuedAt;
  }
}
