import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { DEFAULT_MAX_TRACKED_PAIRS, MemoryReplayGuard } from '../../src/http/digest/replay-guard.js';

const T0 = 1_700_000_000_000;

function setup(maxPairs?: number) {
  let t = T0;
  const guard = new MemoryReplayGuard(maxPairs === undefined ? { now: () => t } : { now: () => t, maxPairs });
  return { guard, set: (v: number) => (t = v) };
}

describe('MemoryReplayGuard', () => {
  it('accepts a (nonce, nc) pair once', async () => {
    const { guard } = setup();
    assert.equal(await guard.firstUse('n1', '00000001', T0 + 1000), true);
    assert.equal(await guard.firstUse('n1', '00000001', T0 + 1000), false);
    assert.equal(await guard.firstUse('n1', '00000001', T0 + 1000), false);
  });

  it('accepts other nc values on the same nonce in any order, and the same nc on other nonces', async () => {
    const { guard } = setup();
    const results = [];
    for (const [nonce, nc] of [['n', '00000005'], ['n', '00000002'], ['n', '00000009'], ['m', '00000005'], ['n', '00000002']] as const) {
      results.push(await guard.firstUse(nonce, nc, T0 + 1000));
    }
    assert.deepEqual(results, [true, true, true, true, false]);
    assert.equal(guard.size, 4);
  });

  it('treats nc "" (RFC 2069) as a single use of the nonce', async () => {
    const { guard } = setup();
    assert.equal(await guard.firstUse('n', '', T0 + 1000), true);
    assert.equal(await guard.firstUse('n', '', T0 + 1000), false);
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
    assert.equal(guard.size, 2);
    set(T0 + 1001);
    assert.equal(await guard.firstUse('late', '00000002', T0 + 5000), true);
    assert.equal(guard.size, 2);
    set(T0 + 5001);
    assert.equal(await guard.firstUse('other', '00000001', T0 + 9000), true);
    assert.equal(guard.size, 1);
  });

  it('sweeps in expiry order even when used out of order', async () => {
    const { guard, set } = setup();
    const expiries = [70, 10, 50, 30, 90, 20, 80, 40, 60];
    for (const e of expiries) await guard.firstUse(`n${e}`, '1', T0 + e);
    for (const step of [15, 35, 55, 75, 95]) {
      set(T0 + step);
      await guard.firstUse('probe', `${step}`, T0 + 1000);
      const remaining = expiries.filter((e) => e >= step).length;
      assert.equal(guard.size, remaining + ['15', '35', '55', '75', '95'].indexOf(`${step}`) + 1, `at ${step}`);
    }
  });

  it('keeps a nonce for the longest expiry ever claimed', async () => {
    const { guard, set } = setup();
    await guard.firstUse('n', 'a', T0 + 10);
    await guard.firstUse('n', 'b', T0 + 100);
    set(T0 + 50);
    assert.equal(await guard.firstUse('n', 'a', T0 + 100), false);
    set(T0 + 101);
    assert.equal(await guard.firstUse('x', 'x', T0 + 200), true);
    assert.equal(guard.size, 1);
  });

  it('refuses an already expired or nonsensical expiry', async () => {
    const { guard } = setup();
    assert.equal(await guard.firstUse('n', '00000001', T0 - 1), false);
    assert.equal(await guard.firstUse('n', '00000001', Number.NaN), false);
    assert.equal(guard.size, 0);
  });

  it('refuses new pairs at the cap instead of growing, and recovers after expiry', async () => {
    const { guard, set } = setup(3);
    assert.deepEqual(
      [
        await guard.firstUse('a', '1', T0 + 10),
        await guard.firstUse('a', '2', T0 + 10),
        await guard.firstUse('b', '1', T0 + 20),
        await guard.firstUse('c', '1', T0 + 20),
        await guard.firstUse('a', '3', T0 + 10),
      ],
      [true, true, true, false, false],
    );
    assert.equal(guard.size, 3);
    set(T0 + 11);
    assert.equal(await guard.firstUse('c', '1', T0 + 20), true);
    assert.equal(guard.size, 2);
  });

  it('has a default cap of one million pairs and validates maxPairs', () => {
    assert.equal(DEFAULT_MAX_TRACKED_PAIRS, 1_000_000);
    assert.throws(() => new MemoryReplayGuard({ maxPairs: 0 }), TypeError);
    assert.throws(() => new MemoryReplayGuard({ maxPairs: 1.5 }), TypeError);
  });
});
