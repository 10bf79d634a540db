import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { MAX_NONCE_COUNT } from '../../src/http/digest/nonce.js';
import { DEFAULT_MAX_TRACKED_NONCES, MemoryReplayGuard } from '../../src/http/digest/replay-guard.js';

const T0 = 1_700_000_000_000;

function setup(maxNonces?: number) {
  let t = T0;
  const guard = new MemoryReplayGuard(maxNonces === undefined ? { now: () => t } : { now: () => t, maxNonces });
  return { guard, set: (v: number) => (t = v) };
}

/** nc as a client sends it: 8 hex digits. */
function nc(value: number): string {
  return value.toString(16).padStart(8, '0');
}

describe('MemoryReplayGuard', () => {
  it('with an epoch, claims nonces of that epoch only: any other is stale (a nonce minted before a restart)', async () => {
    const guard = new MemoryReplayGuard({ now: () => T0, epoch: '0000beef' });
    assert.equal(guard.currentEpoch(), '0000beef');
    assert.equal(await guard.claim('n1', '0000beef', '00000001', T0 + 1000), 'first');
    assert.equal(await guard.claim('n1', '0000beef', '00000001', T0 + 1000), 'replay');
    assert.equal(await guard.claim('n2', '0000dead', '00000001', T0 + 1000), 'stale');
    assert.equal(guard.holds('n2'), false, 'a stale claim leaves no record');
  });

  it('accepts a (nonce, nc) pair once', async () => {
    const { guard } = setup();
    assert.equal(await guard.firstUse('n1', '00000001', T0 + 1000), true);
    assert.equal(await guard.firstUse('n1', '00000001', T0 + 1000), false);
    assert.equal(await guard.firstUse('n1', '00000001', T0 + 1000), false);
  });

  it('accepts other nc values on the same nonce in any order, and the same nc on other nonces', async () => {
    const { guard } = setup();
    const results = [];
    for (const [nonce, count] of [
      ['n', '00000005'],
      ['n', '00000002'],
      ['n', '00000009'],
      ['m', '00000005'],
      ['n', '00000002'],
    ] as const) {
      results.push(await guard.firstUse(nonce, count, T0 + 1000));
    }
    assert.deepEqual(results, [true, true, true, true, false]);
    assert.equal(guard.pairCount, 4);
    assert.equal(guard.size, 2);
  });

  it('treats nc case-insensitively (0000000a and 0000000A are the same count)', async () => {
    const { guard } = setup();
    assert.equal(await guard.firstUse('n', '0000000a', T0 + 1000), true);
    assert.equal(await guard.firstUse('n', '0000000A', T0 + 1000), false);
    assert.equal(await guard.firstUse('n', '000003FF', T0 + 1000), true);
    assert.equal(await guard.firstUse('n', '000003ff', T0 + 1000), false);
  });

  it('accepts every nc from 1 to MAX_NONCE_COUNT once on one nonce', async () => {
    const { guard } = setup();
    for (let i = 1; i <= MAX_NONCE_COUNT; i++) assert.equal(await guard.firstUse('n', nc(i), T0 + 1000), true, nc(i));
    for (let i = 1; i <= MAX_NONCE_COUNT; i++) assert.equal(await guard.firstUse('n', nc(i), T0 + 1000), false, nc(i));
    assert.equal(guard.pairCount, MAX_NONCE_COUNT);
    assert.equal(guard.size, 1);
  });

  it('refuses (never throws on) an nc it cannot track: above MAX_NONCE_COUNT, not 8 hex digits', async () => {
    const { guard } = setup();
    for (const bad of [
      nc(MAX_NONCE_COUNT + 1),
      'ffffffff',
      '1',
      '0000001',
      '000000001',
      '0000000g',
      ' 0000001',
      '-0000001',
      '0x000001',
      '+0000001',
      '\u0661'.repeat(8),
    ]) {
      assert.equal(await guard.firstUse('n', bad, T0 + 1000), false, JSON.stringify(bad));
    }
    assert.equal(guard.size, 0);
    assert.equal(guard.pairCount, 0);
  });

  it('treats nc "" (RFC 2069) as a single use of the nonce', async () => {
    const { guard } = setup();
    assert.equal(await guard.firstUse('n', '', T0 + 1000), true);
    assert.equal(await guard.firstUse('n', '', T0 + 1000), false);
    // Other counts on the nonce are still separate uses.
    assert.equal(await guard.firstUse('n', '00000001', T0 + 1000), true);
  });

  it('gives exactly one true to 50 concurrent calls', async () => {
    const { guard } = setup();
    const results = await Promise.all(Array.from({ length: 50 }, () => guard.firstUse('n', '00000001', T0 + 1000)));
    assert.equal(results.filter(Boolean).length, 1);
  });

  it('remembers pairs until their nonce expired, then forgets them', async () => {
    const { guard, set } = setup();
    await guard.firstUse('early', '00000001', T0 + 1000);
    await guard.firstUse('late', '00000001', T0 + 5000);
    set(T0 + 1000);
    assert.equal(await guard.firstUse('early', '00000001', T0 + 1000), false);
    assert.equal(guard.pairCount, 2);
    set(T0 + 1001);
    assert.equal(await guard.firstUse('late', '00000002', T0 + 5000), true);
    assert.equal(guard.pairCount, 2);
    assert.equal(guard.size, 1);
    set(T0 + 5001);
    assert.equal(await guard.firstUse('other', '00000001', T0 + 9000), true);
    assert.equal(guard.pairCount, 1);
    assert.equal(guard.size, 1);
  });

  it('forgets a nonce whole, so its slot serves a new nonce with no bits left over', async () => {
    const { guard, set } = setup();
    for (let i = 1; i <= 20; i++) await guard.firstUse('old', nc(i), T0 + 10);
    set(T0 + 11);
    for (let i = 1; i <= 20; i++) assert.equal(await guard.firstUse('new', nc(i), T0 + 1000), true);
    assert.equal(guard.pairCount, 20);
    assert.equal(guard.size, 1);
  });

  it('sweeps in expiry order even when used out of order', async () => {
    const { guard, set } = setup();
    const expiries = [70, 10, 50, 30, 90, 20, 80, 40, 60];
    for (const e of expiries) await guard.firstUse(`n${e}`, '00000001', T0 + e);
    const steps = [15, 35, 55, 75, 95];
    for (const step of steps) {
      set(T0 + step);
      await guard.firstUse('probe', nc(step), T0 + 1000);
      const remaining = expiries.filter((e) => e >= step).length;
      assert.equal(guard.pairCount, remaining + steps.indexOf(step) + 1, `pairs at ${step}`);
      assert.equal(guard.size, remaining + 1, `nonces at ${step}`);
    }
  });

  it('keeps a nonce for the longest expiry ever claimed', async () => {
    const { guard, set } = setup();
    await guard.firstUse('n', '0000000a', T0 + 10);
    await guard.firstUse('n', '0000000b', T0 + 100);
    set(T0 + 50);
    assert.equal(await guard.firstUse('n', '0000000a', T0 + 100), false);
    set(T0 + 101);
    assert.equal(await guard.firstUse('x', '00000001', T0 + 200), true);
    assert.equal(guard.pairCount, 1);
    assert.equal(guard.size, 1);
  });

  it('refuses an already expired or nonsensical expiry', async () => {
    const { guard } = setup();
    assert.equal(await guard.firstUse('n', '00000001', T0 - 1), false);
    assert.equal(await guard.firstUse('n', '00000001', Number.NaN), false);
    assert.equal(guard.size, 0);
    assert.equal(guard.pairCount, 0);
  });

  it('refuses new nonces at the cap instead of growing, still takes new counts on tracked ones, and recovers after expiry', async () => {
    const { guard, set } = setup(3);
    assert.deepEqual(
      [
        await guard.firstUse('a', '00000001', T0 + 10),
        await guard.firstUse('a', '00000002', T0 + 10),
        await guard.firstUse('b', '00000001', T0 + 20),
        await guard.firstUse('c', '00000001', T0 + 20),
        await guard.firstUse('d', '00000001', T0 + 20),
        await guard.firstUse('a', '00000003', T0 + 10),
        await guard.firstUse('a', '00000003', T0 + 10),
      ],
      [true, true, true, true, false, true, false],
    );
    assert.equal(guard.size, 3);
    assert.equal(guard.pairCount, 5);
    set(T0 + 11);
    assert.equal(await guard.firstUse('d', '00000001', T0 + 20), true);
    assert.equal(guard.size, 3);
    assert.equal(guard.pairCount, 3);
    assert.equal(await guard.firstUse('c', '00000001', T0 + 20), false);
  });

  it('finds a nonce whatever string carries it (a slice of a header, or another copy)', async () => {
    const { guard } = setup();
    const header = `Digest nonce="${'ab'.repeat(30)}", ${'x'.repeat(10_000)}`;
    const nonce = header.slice(14, 74);
    assert.equal(await guard.firstUse(nonce, '00000001', T0 + 1000), true);
    // The same nonce given as another string object is the same nonce.
    assert.equal(await guard.firstUse('ab'.repeat(30), '00000001', T0 + 1000), false);
  });

  it('has a default cap of one million nonces and validates maxNonces', () => {
    assert.equal(DEFAULT_MAX_TRACKED_NONCES, 1_000_000);
    assert.throws(() => new MemoryReplayGuard({ maxNonces: 0 }), TypeError);
    assert.throws(() => new MemoryReplayGuard({ maxNonces: 1.5 }), TypeError);
  });

  it('keeps a nonce answered once without a bitmap, and takes one when a second nc comes', async () => {
    const { guard, set } = setup();
    assert.equal(await guard.firstUse('once', nc(7), T0 + 10), true);
    assert.equal(await guard.firstUse('once', nc(7), T0 + 10), false);
    // The second nc moves the nonce to a bitmap: the first one must still be refused after that.
    assert.equal(await guard.firstUse('once', nc(3), T0 + 10), true);
    assert.equal(await guard.firstUse('once', nc(7), T0 + 10), false);
    assert.equal(await guard.firstUse('once', nc(3), T0 + 10), false);
    assert.equal(guard.pairCount, 2);
    // Expired, its bitmap is cleared and serves the next nonce that needs one, with no bits left over.
    set(T0 + 11);
    assert.equal(await guard.firstUse('next', nc(1), T0 + 100), true);
    assert.equal(await guard.firstUse('next', nc(7), T0 + 100), true);
    assert.equal(await guard.firstUse('next', nc(3), T0 + 100), true);
    assert.equal(guard.pairCount, 3);
    assert.equal(guard.size, 1);
  });

  it('answers as a set of (nonce, nc) pairs with expiry would, for random sequences', async () => {
    const step = fc.record({
      nonce: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
      count: fc.oneof(fc.integer({ min: 0, max: 6 }), fc.constant(MAX_NONCE_COUNT)),
      lifetime: fc.integer({ min: 1, max: 50 }),
      advance: fc.integer({ min: 0, max: 20 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 200 }), async (steps) => {
        const { guard, set } = setup();
        // The model: each nonce's expiry (the longest claimed, fixed per nonce as the authenticator
        // guarantees) and the counts it was answered with while remembered.
        const model = new Map<string, { expiry: number; counts: Set<number> }>();
        const expiryOf = new Map<string, number>();
        let now = T0;
        for (const { nonce, count, lifetime, advance } of steps) {
          now += advance;
          set(now);
          for (const [key, entry] of model) if (entry.expiry < now) model.delete(key);
          // expiresAtMs is a function of the nonce: fixed at first sight until the nonce is forgotten.
          let expiresAt = expiryOf.get(nonce);
          if (expiresAt === undefined || (expiresAt < now && !model.has(nonce))) {
            expiresAt = now + lifetime;
            expiryOf.set(nonce, expiresAt);
          }
          const entry = model.get(nonce) ?? { expiry: expiresAt, counts: new Set<number>() };
          const expected = expiresAt >= now && !entry.counts.has(count);
          if (expected) {
            entry.counts.add(count);
            model.set(nonce, entry);
          }
          assert.equal(await guard.firstUse(nonce, count === 0 ? '' : nc(count), expiresAt), expected, `${nonce} ${count} at ${now - T0}`);
          assert.equal(
            guard.pairCount,
            [...model.values()].reduce((sum, e) => sum + e.counts.size, 0),
          );
          assert.equal(guard.size, model.size);
        }
      }),
      { numRuns: 300 },
    );
  });
});
