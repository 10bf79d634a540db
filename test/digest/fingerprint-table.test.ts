/**
 * The replay guard's typed-array records (src/http/digest/fingerprint-table.ts) against plain models:
 * the table against a Map, through runs of colliding homes, growth past its first capacity and shrinking
 * back; the heap against a sorted list. And the fingerprint a nonce is known by.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ExpiryHeap, FingerprintTable } from '../../src/http/digest/fingerprint-table.js';
import { MAC_WORDS, macWords, NonceMinter } from '../../src/http/digest/nonce.js';
import { MemoryReplayGuard } from '../../src/http/digest/replay-guard.js';

type Print = [number, number, number];
const keyOf = ([a, b, c]: Print) => `${a}.${b}.${c}`;

/** Finds every modelled record with its fields, and no other. */
function assertMatches(table: FingerprintTable, model: Map<string, { print: Print; expiry: number }>, absent: Print[]): void {
  assert.equal(table.size, model.size);
  for (const { print, expiry } of model.values()) {
    const slot = table.find(...print);
    assert.ok(slot >= 0, `${keyOf(print)} is found`);
    assert.equal(table.expiry[slot], expiry);
    assert.equal(table.firstNc[slot], expiry % 1000);
    assert.equal(table.bitmap[slot], -expiry);
  }
  for (const print of absent) if (!model.has(keyOf(print))) assert.equal(table.find(...print), -1, `${keyOf(print)} is absent`);
}

describe('FingerprintTable', () => {
  it('finds what was inserted and not removed, for random runs that collide, grow and shrink', () => {
    // Few distinct low bits in the first word: many fingerprints share a home, so runs form and
    // removal has records to shift back. Some 1,600 live records: past the first capacity (1,024 slots).
    const print = fc.tuple(
      fc.integer({ min: 1, max: 4096 }).map((home) => home * 8),
      fc.integer({ min: 0, max: 3 }),
      fc.integer({ min: 0, max: 0xffffffff }),
    );
    const operation = fc.oneof(
      { weight: 4, arbitrary: fc.record({ kind: fc.constant('insert' as const), print }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }) },
    );
    fc.assert(
      fc.property(fc.array(operation, { minLength: 2000, maxLength: 3000 }), (operations) => {
        const table = new FingerprintTable();
        const model = new Map<string, { print: Print; expiry: number }>();
        const seen: Print[] = [];
        let expiry = 0;
        for (const step of operations) {
          if (step.kind === 'insert') {
            seen.push(step.print);
            if (model.has(keyOf(step.print))) continue;
            expiry += 1;
            const slot = table.insert(...step.print);
            table.expiry[slot] = expiry;
            table.firstNc[slot] = expiry % 1000;
            table.bitmap[slot] = -expiry;
            model.set(keyOf(step.print), { print: step.print, expiry });
          } else if (model.size > 0) {
            const keys = [...model.keys()];
            const key = keys[step.pick % keys.length] as string;
            const { print: removed } = model.get(key) as { print: Print };
            table.remove(table.find(...removed));
            model.delete(key);
          }
        }
        assertMatches(table, model, seen);
        // Emptied down to a few, it has shrunk, through resizes that carried the few along.
        for (const [key, { print: removed }] of model) {
          if (model.size <= 20) break;
          table.remove(table.find(...removed));
          model.delete(key);
        }
        assertMatches(table, model, seen);
      }),
      { numRuns: 20 },
    );
  });
});

describe('ExpiryHeap', () => {
  it('pops in expiry order, each expiry with its fingerprint, growing and shrinking as it goes', () => {
    // Twice as many pushes as pops: past the first capacity (1,024), then emptied to shrink.
    const operation = fc.oneof(
      { weight: 2, arbitrary: fc.integer({ min: 0, max: 1_000_000 }) },
      { weight: 1, arbitrary: fc.constant('pop' as const) },
    );
    fc.assert(
      fc.property(fc.array(operation, { minLength: 2000, maxLength: 4000 }), (operations) => {
        const heap = new ExpiryHeap();
        const model: number[] = [];
        const check = () => {
          assert.equal(heap.length, model.length);
          const top = heap.topExpiry();
          assert.equal(top, model.length === 0 ? undefined : Math.min(...model));
          // Each record's words are derived from its expiry, so a fingerprint torn from its expiry shows.
          if (top !== undefined) assert.deepEqual([heap.topWord(0), heap.topWord(1), heap.topWord(2)], [top + 1, top * 2, 7]);
        };
        for (const step of operations) {
          if (step === 'pop') {
            const top = heap.topExpiry();
            heap.pop();
            if (top !== undefined) model.splice(model.indexOf(top), 1);
          } else {
            heap.push(step, step + 1, step * 2, 7);
            model.push(step);
          }
          check();
        }
        while (heap.length > 0) {
          const top = heap.topExpiry() as number;
          heap.pop();
          model.splice(model.indexOf(top), 1);
          check();
        }
      }),
      { numRuns: 10 },
    );
  });
});

describe('the fingerprint of a nonce', () => {
  it('is the first 96 bits of the MAC of one of ours, and nothing for any other string', () => {
    const nonce = new NonceMinter({ key: Buffer.alloc(32, 7), lifetimeMs: 1000, now: () => 1_700_000_000_000 }).mint();
    const words = new Uint32Array(MAC_WORDS);
    assert.equal(macWords(nonce, words), true);
    const mac = nonce.slice(36);
    assert.deepEqual(
      [...words],
      [0, 8, 16].map((at) => Number.parseInt(mac.slice(at, at + 8), 16)),
    );
    const untouched = new Uint32Array([1, 2, 3]);
    for (const other of ['', 'n1', nonce.toUpperCase(), nonce.slice(1), `${nonce}0`, `${nonce.slice(0, -1)}g`]) {
      assert.equal(macWords(other, untouched), false, other);
      assert.deepEqual([...untouched], [1, 2, 3]);
    }
  });

  it('tells apart nonces that share their MAC words only by their other characters, when not ours', async () => {
    // Strings of our shape share the MAC's words only by a MAC collision; any other string is hashed whole.
    const guard = new MemoryReplayGuard({ now: () => 0 });
    const mac = 'ab'.repeat(16);
    assert.equal(await guard.firstUse(`X${mac}`, '00000001', 10), true);
    assert.equal(await guard.firstUse(`Y${mac}`, '00000001', 10), true);
    assert.equal(guard.holds(`X${mac}`), true);
    assert.equal(guard.holds(`Z${mac}`), false);
  });
});
