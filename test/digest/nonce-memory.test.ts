import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runInNewContext } from 'node:vm';
import v8 from 'node:v8';

import { NonceMinter } from '../../src/http/digest/nonce.js';
import { MemoryReplayGuard } from '../../src/http/digest/replay-guard.js';

const KEY = Buffer.alloc(32, 0x5a);
const NONCES = 2_000;
/** Each nonce is cut out of a header this long, as the authenticator cuts it out of the Authorization header. */
const HEADER_PADDING = 20_000;

/** A full collection, so that what is still reachable is all that heapUsed counts. */
function collectGarbage(): void {
  v8.setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** A nonce as a slice of a long string: what parsing a header gives, a V8 sliced string keeping its parent. */
function slicedFromLongHeader(nonce: string, index: number): string {
  const header = `Digest username="k${index}", nonce="${nonce}", opaque="${'x'.repeat(HEADER_PADDING)}"`;
  const start = header.indexOf('nonce="') + 7;
  return header.slice(start, start + nonce.length);
}

describe('remembered nonces do not keep the headers they were parsed from', () => {
  it('the verified-nonce cache and the replay guard hold the nonce alone, not its 20 kB header', async () => {
    const now = 1_700_000_000_000;
    const minter = new NonceMinter({ key: KEY, lifetimeMs: 300_000, now: () => now });
    const guard = new MemoryReplayGuard({ now: () => now });
    const minted = Array.from({ length: NONCES }, () => minter.mint());
    collectGarbage();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < NONCES; i++) {
      const nonce = slicedFromLongHeader(minted[i] as string, i);
      assert.equal(minter.check(nonce), 'fresh');
      assert.equal(await guard.claim(nonce, '00000000', '00000001', now + 300_000), 'first');
    }
    collectGarbage();
    const grownBytes = process.memoryUsage().heapUsed - before;
    // Kept headers would be 2,000 × 20 kB = 40 MB; the nonces and their records are well under 2 MB.
    assert.ok(grownBytes < 8 * 1024 * 1024, `the heap grew by ${(grownBytes / 1048576).toFixed(1)} MB`);
  });
});
