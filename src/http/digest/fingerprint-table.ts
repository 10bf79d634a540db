/**
 * The replay guard's records, in typed arrays: a nonce is known by a 96-bit fingerprint (three 32-bit
 * words, see replay-guard.ts), and a record costs some 26 bytes in an open-addressing table plus 20 in
 * the expiry heap, instead of the 170 of a string key in a Map with its values in arrays of numbers.
 * Typed arrays hold no pointers, so the garbage collector neither scans nor moves them.
 */

/** Slots of an empty table; the table doubles above MAX_LOAD and halves below a quarter of it. */
const MIN_CAPACITY = 1024;
/** Linear probing stays short (some 2.5 probes for a hit) up to here. */
const MAX_LOAD = 0.7;
const WORDS = 3;

/**
 * Open addressing with linear probing on a fingerprint of three words; the all-zero fingerprint marks an
 * empty slot, so callers never use it. Removal shifts the following run back instead of leaving a
 * tombstone, so a lookup's probe never grows with the records that came and went. A slot number is good
 * until the next insert or removal, which may move records.
 */
export class FingerprintTable {
  #capacity = MIN_CAPACITY;
  #mask = MIN_CAPACITY - 1;
  #size = 0;
  #words = new Uint32Array(MIN_CAPACITY * WORDS);
  /** Per slot: the longest expiry claimed (ms). */
  expiry = new Float64Array(MIN_CAPACITY);
  /** Per slot: the bit index of the first nc answered. */
  firstNc = new Int16Array(MIN_CAPACITY);
  /** Per slot: the bitmap once a second nc came, else -1. */
  bitmap = new Int32Array(MIN_CAPACITY);

  get size(): number {
    return this.#size;
  }

  /** The slot holding the fingerprint, or -1. */
  find(a: number, b: number, c: number): number {
    const words = this.#words;
    for (let slot = a & this.#mask; ; slot = (slot + 1) & this.#mask) {
      const at = slot * WORDS;
      const first = words[at] as number;
      const second = words[at + 1] as number;
      const third = words[at + 2] as number;
      if (first === a && second === b && third === c) return slot;
      if (first === 0 && second === 0 && third === 0) return -1;
    }
  }

  /** Adds a fingerprint that is not in the table; returns its slot, whose other fields the caller sets. */
  insert(a: number, b: number, c: number): number {
    if (this.#size + 1 > this.#capacity * MAX_LOAD) this.#resize(this.#capacity * 2);
    const slot = this.#emptySlotFor(a);
    this.#place(slot, a, b, c);
    this.#size += 1;
    return slot;
  }

  /** Removes the slot's record, moving back any record of the same run that probing would miss. */
  remove(slot: number): void {
    const words = this.#words;
    let hole = slot;
    for (let next = (hole + 1) & this.#mask; ; next = (next + 1) & this.#mask) {
      const at = next * WORDS;
      if (words[at] === 0 && words[at + 1] === 0 && words[at + 2] === 0) break;
      const home = (words[at] as number) & this.#mask;
      // The record at `next` stays when its home lies cyclically in (hole, next]: probing from there
      // reaches it without crossing the hole.
      const stays = hole <= next ? hole < home && home <= next : hole < home || home <= next;
      if (stays) continue;
      this.#move(next, hole);
      hole = next;
    }
    words.fill(0, hole * WORDS, hole * WORDS + WORDS);
    this.#size -= 1;
    if (this.#capacity > MIN_CAPACITY && this.#size < this.#capacity * (MAX_LOAD / 4)) this.#resize(this.#capacity / 2);
  }

  #emptySlotFor(a: number): number {
    const words = this.#words;
    for (let slot = a & this.#mask; ; slot = (slot + 1) & this.#mask) {
      const at = slot * WORDS;
      if (words[at] === 0 && words[at + 1] === 0 && words[at + 2] === 0) return slot;
    }
  }

  #place(slot: number, a: number, b: number, c: number): void {
    const at = slot * WORDS;
    this.#words[at] = a;
    this.#words[at + 1] = b;
    this.#words[at + 2] = c;
  }

  #move(from: number, to: number): void {
    this.#words.copyWithin(to * WORDS, from * WORDS, from * WORDS + WORDS);
    this.expiry[to] = this.expiry[from] as number;
    this.firstNc[to] = this.firstNc[from] as number;
    this.bitmap[to] = this.bitmap[from] as number;
  }

  #resize(capacity: number): void {
    const words = this.#words;
    const { expiry, firstNc, bitmap } = this;
    const old = this.#capacity;
    this.#capacity = capacity;
    this.#mask = capacity - 1;
    this.#words = new Uint32Array(capacity * WORDS);
    this.expiry = new Float64Array(capacity);
    this.firstNc = new Int16Array(capacity);
    this.bitmap = new Int32Array(capacity);
    for (let slot = 0; slot < old; slot += 1) {
      const at = slot * WORDS;
      const a = words[at] as number;
      const b = words[at + 1] as number;
      const c = words[at + 2] as number;
      if (a === 0 && b === 0 && c === 0) continue;
      const to = this.#emptySlotFor(a);
      this.#place(to, a, b, c);
      this.expiry[to] = expiry[slot] as number;
      this.firstNc[to] = firstNc[slot] as number;
      this.bitmap[to] = bitmap[slot] as number;
    }
  }
}

/** A min-heap of (expiry, fingerprint) in typed arrays: the records in the order they expire. */
export class ExpiryHeap {
  #length = 0;
  #expiry = new Float64Array(MIN_CAPACITY);
  #words = new Uint32Array(MIN_CAPACITY * WORDS);

  get length(): number {
    return this.#length;
  }

  /** The soonest expiry, or undefined when empty. */
  topExpiry(): number | undefined {
    return this.#length === 0 ? undefined : this.#expiry[0];
  }

  /** Word `i` (0, 1 or 2) of the soonest record's fingerprint. */
  topWord(i: number): number {
    return this.#words[i] as number;
  }

  push(expiry: number, a: number, b: number, c: number): void {
    if (this.#length === this.#expiry.length) this.#resize(this.#expiry.length * 2);
    let i = this.#length;
    this.#length += 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((this.#expiry[parent] as number) <= expiry) break;
      this.#copy(parent, i);
      i = parent;
    }
    this.#set(i, expiry, a, b, c);
  }

  pop(): void {
    if (this.#length === 0) return;
    this.#length -= 1;
    const length = this.#length;
    if (length > 0) {
      const last = length;
      const lastExpiry = this.#expiry[last] as number;
      const a = this.#words[last * WORDS] as number;
      const b = this.#words[last * WORDS + 1] as number;
      const c = this.#words[last * WORDS + 2] as number;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        let smallestExpiry = lastExpiry;
        if (left < length && (this.#expiry[left] as number) < smallestExpiry) {
          smallest = left;
          smallestExpiry = this.#expiry[left] as number;
        }
        if (right < length && (this.#expiry[right] as number) < smallestExpiry) smallest = right;
        if (smallest === i) break;
        this.#copy(smallest, i);
        i = smallest;
      }
      this.#set(i, lastExpiry, a, b, c);
    }
    if (this.#expiry.length > MIN_CAPACITY && length < this.#expiry.length / 4) this.#resize(this.#expiry.length / 2);
  }

  #copy(from: number, to: number): void {
    this.#expiry[to] = this.#expiry[from] as number;
    this.#words.copyWithin(to * WORDS, from * WORDS, from * WORDS + WORDS);
  }

  #set(i: number, expiry: number, a: number, b: number, c: number): void {
    this.#expiry[i] = expiry;
    this.#words[i * WORDS] = a;
    this.#words[i * WORDS + 1] = b;
    this.#words[i * WORDS + 2] = c;
  }

  #resize(capacity: number): void {
    const expiry = new Float64Array(capacity);
    expiry.set(this.#expiry.subarray(0, this.#length));
    const words = new Uint32Array(capacity * WORDS);
    words.set(this.#words.subarray(0, this.#length * WORDS));
    this.#expiry = expiry;
    this.#words = words;
  }
}
