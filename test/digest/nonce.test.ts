import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { NONCE_FUTURE_SKEW_MS, NonceMinter } from '../../src/http/digest/nonce.js';

const KEY = Buffer.alloc(32, 0x5a);
const OTHER_KEY = Buffer.alloc(32, 0xa5);
const T0 = 1_700_000_000_000;
const LIFETIME = 300_000;

function clock(start = T0): { now: () => number; set: (t: number) => void } {
  let t = start;
  return { now: () => t, set: (v) => (t = v) };
}

describe('NonceMinter', () => {
  it('mints 68 lower-case hex characters (alphanumeric), time first', () => {
    const c = clock();
    const nonce = new NonceMinter({ key: KEY, lifetimeMs: LIFETIME, now: c.now }).mint();
    assert.match(nonce, /^[0-9a-f]{68}$/);
    assert.match(nonce, /^[A-Za-z0-9]+$/);
    assert.equal(Number.parseInt(nonce.slice(0, 12), 16), T0);
  });

  it('mints different nonces in the same millisecond', () => {
    const m = new NonceMinter({ key: KEY, lifetimeMs: LIFETIME, now: () => T0 });
    const seen = new Set(Array.from({ length: 100 }, () => m.mint()));
    assert.equal(seen.size, 100);
  });

  it('is fresh up to and including lifetimeMs, expired one ms later', () => {
    const c = clock();
    const m = new NonceMinter({ key: KEY, lifetimeMs: LIFETIME, now: c.now });
    const nonce = m.mint();
    assert.equal(m.check(nonce), 'fresh');
    c.set(T0 + LIFETIME - 1_000);
    assert.equal(m.check(nonce), 'fresh');
    c.set(T0 + LIFETIME);
    assert.equal(m.check(nonce), 'fresh');
    c.set(T0 + LIFETIME + 1);
    assert.equal(m.check(nonce), 'expired');
    c.set(T0 + 10 * LIFETIME);
    assert.equal(m.check(nonce), 'expired');
  });

  it('reports expiresAt = issue time + lifetime, undefined for foreign nonces', () => {
    const c = clock();
    const m = new NonceMinter({ key: KEY, lifetimeMs: LIFETIME, now: c.now });
    const nonce = m.mint();
    assert.equal(m.expiresAt(nonce), T0 + LIFETIME);
    assert.equal(m.expiresAt(`${nonce.slice(0, -1)}${nonce.endsWith('0') ? '1' : '0'}`), undefined);
    assert.equal(m.expiresAt('abc'), undefined);
  });

  it('refuses a nonce from the future beyond the skew', () => {
    const c = clock();
    const issuer = new NonceMinter({ key: KEY, lifetimeMs: LIFETIME, now: c.now });
    const nonce = issuer.mint();
    const lagging = clock(T0 - NONCE_FUTURE_SKEW_MS);
    const checker = new NonceMinter({ key: KEY, lifetimeMs: LIFETIME, now: lagging.now });
    assert.equal(checker.check(nonce), 'fresh');
    lagging.set(T0 - NONCE_FUTURE_SKEW_MS - 1);
    assert.equal(checker.check(nonce), 'invalid');
    assert.equal(NONCE_FUTURE_SKEW_MS, 5_000);
  });

  it('rejects every single-character tampering, even when expired', () => {
    const c = clock();
    const m = new NonceMinter({ key: KEY, lifetimeMs: LIFETIME, now: c.now });
    const nonce = m.mint();
    for (const at of [T0, T0 + LIFETIME + 1]) {
      c.set(at);
      for (let i = 0; i < nonce.length; i++) {
        const ch = nonce[i] === 'f' ? '0' : (Number.parseInt(nonce[i]!, 16) + 1).toString(16);
        const tampered = nonce.slice(0, i) + ch + nonce.slice(i + 1);
        assert.equal(m.check(tampered), 'invalid', `position ${i}`);
      }
    }
  });

  it('carries the epoch it was minted in, under its MAC', () => {
    let epoch = '0a1b2c3d';
    const m = new NonceMinter({ key: KEY, lifetimeMs: LIFETIME, now: () => T0, epoch: () => epoch });
    const nonce = m.mint();
    assert.equal(nonce.slice(12, 20), '0a1b2c3d');
    assert.deepEqual(m.inspect(nonce), { state: 'fresh', expiresAt: T0 + LIFETIME, epoch: '0a1b2c3d' });
    epoch = 'ffffffff';
    assert.equal(m.inspect(m.mint()).epoch, 'ffffffff', 'asked at every mint');
    assert.equal(m.check(nonce.slice(0, 12) + 'ffffffff' + nonce.slice(20)), 'invalid', 'moved to another epoch');
    epoch = 'NOTHEX!!';
    assert.throws(() => m.mint(), RangeError);
  });

  it('rejects moving the time forward while keeping the MAC (lifetime extension)', () => {
    const m = new NonceMinter({ key: KEY, lifetimeMs: LIFETIME, now: () => T0 });
    const nonce = m.mint();
    const later = (T0 + 1).toString(16).padStart(12, '0') + nonce.slice(12);
    assert.equal(m.check(later), 'invalid');
  });

  it('rejects malformed values', () => {
    const m = new NonceMinter({ key: KEY, lifetimeMs: LIFETIME, now: () => T0 });
    const nonce = m.mint();
    assert.equal(m.check(nonce.toUpperCase()), 'invalid');
    assert.equal(m.check(''), 'invalid');
    assert.equal(m.check(nonce.slice(1)), 'invalid');
    assert.equal(m.check(`${nonce}0`), 'invalid');
    assert.equal(m.check(`${nonce.slice(0, 67)}g`), 'invalid');
    assert.equal(m.check('7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v'), 'invalid');
  });

  it('accepts nonces from another minter with the same key (any node)', () => {
    const nodeA = new NonceMinter({ key: Buffer.from(KEY), lifetimeMs: LIFETIME, now: () => T0 });
    const nodeB = new NonceMinter({ key: Buffer.from(KEY), lifetimeMs: LIFETIME, now: () => T0 + 1_000 });
    const fromA = nodeA.mint();
    const fromB = nodeB.mint();
    assert.equal(nodeB.check(fromA), 'fresh');
    assert.equal(nodeA.check(fromB), 'fresh');
    assert.equal(nodeB.expiresAt(fromA), T0 + LIFETIME);
  });

  it('rejects nonces minted with a different key', () => {
    const mine = new NonceMinter({ key: KEY, lifetimeMs: LIFETIME, now: () => T0 });
    const theirs = new NonceMinter({ key: OTHER_KEY, lifetimeMs: LIFETIME, now: () => T0 });
    assert.equal(mine.check(theirs.mint()), 'invalid');
    assert.equal(theirs.check(mine.mint()), 'invalid');
  });

  it('copies the key, so later changes to the caller buffer do not matter', () => {
    const key = Buffer.from(KEY);
    const m = new NonceMinter({ key, lifetimeMs: LIFETIME, now: () => T0 });
    const nonce = m.mint();
    key.fill(0);
    assert.equal(m.check(nonce), 'fresh');
  });

  it('throws a TypeError for a key under 32 bytes or a bad lifetime', () => {
    assert.throws(() => new NonceMinter({ key: Buffer.alloc(31, 1), lifetimeMs: LIFETIME }), TypeError);
    assert.throws(() => new NonceMinter({ key: Buffer.alloc(0), lifetimeMs: LIFETIME }), TypeError);
    assert.throws(() => new NonceMinter({ key: KEY, lifetimeMs: 0 }), TypeError);
    assert.throws(() => new NonceMinter({ key: KEY, lifetimeMs: Number.NaN }), TypeError);
    assert.doesNotThrow(() => new NonceMinter({ key: Buffer.alloc(32, 1), lifetimeMs: 1 }));
  });

  it('fails closed when the clock returns NaN', () => {
    let t = T0;
    const m = new NonceMinter({ key: KEY, lifetimeMs: LIFETIME, now: () => t });
    const nonce = m.mint();
    t = Number.NaN;
    assert.equal(m.check(nonce), 'invalid');
  });

  it('uses the real clock by default', (t) => {
    // Date.now mocked: the default clock is seen to be Date.now exactly, whatever the machine's load.
    t.mock.timers.enable({ apis: ['Date'], now: T0 });
    const m = new NonceMinter({ key: KEY, lifetimeMs: LIFETIME });
    const nonce = m.mint();
    assert.equal(m.check(nonce), 'fresh');
    assert.equal(m.expiresAt(nonce), T0 + LIFETIME);
    t.mock.timers.tick(LIFETIME);
    assert.equal(m.check(nonce), 'fresh');
    t.mock.timers.tick(1);
    assert.equal(m.check(nonce), 'expired');
  });

  it('calls arbitrary strings invalid, without throwing', () => {
    const m = new NonceMinter({ key: KEY, lifetimeMs: LIFETIME, now: () => T0 });
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 60, maxLength: 60 })),
        (s) => {
          assert.equal(m.check(s), 'invalid');
          assert.equal(m.expiresAt(s), undefined);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
