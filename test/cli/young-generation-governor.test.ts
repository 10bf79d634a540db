/**
 * The young-generation governor (src/cli/young-generation-governor.ts): the factor it sets for each size,
 * set only on a change; and, in a real V8, a young generation that grows to 32 MB without it and stops
 * at the cap with it. Which commands get it: capsYoungGeneration.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { capsYoungGeneration } from '../../src/cli/v8-flags.js';
import { governYoungGeneration, semiSpaceGrowthFactor, YOUNG_GENERATION_CAP_BYTES } from '../../src/cli/young-generation-governor.js';

const CHILD = fileURLToPath(new URL('../support/young-generation-child.ts', import.meta.url));
const MB = 1024 * 1024;

/** The largest young generation the child reached, capped at `capMb` (0: no governor). */
function largestYoungGeneration(capMb: number): number {
  const out = execFileSync(process.execPath, ['--import', 'tsx', CHILD, String(capMb)], { encoding: 'utf8' });
  return (JSON.parse(out) as { largestBytes: number }).largestBytes;
}

describe('the young-generation governor', () => {
  it('lets the young generation double while it stays within the cap, and no further', () => {
    assert.equal(YOUNG_GENERATION_CAP_BYTES, 16 * MB);
    assert.equal(semiSpaceGrowthFactor(0, 16 * MB), 2);
    assert.equal(semiSpaceGrowthFactor(8 * MB, 16 * MB), 2);
    assert.equal(semiSpaceGrowthFactor(8 * MB + 1, 16 * MB), 1, 'it would double past the cap');
    assert.equal(semiSpaceGrowthFactor(10 * MB, 16 * MB), 1);
    assert.equal(semiSpaceGrowthFactor(16 * MB, 16 * MB), 1);
    assert.equal(semiSpaceGrowthFactor(32 * MB, 16 * MB), 1);
  });

  it('sets the factor only when it changes, and stops its timer when told', () => {
    let size = 2 * MB;
    const set: string[] = [];
    let stopped = false;
    let tick: (() => void) | undefined;
    const governor = governYoungGeneration({
      capBytes: 16 * MB,
      everyMs: 100,
      readSize: () => size,
      setFlags: (flags) => void set.push(flags),
      every: (check, everyMs) => {
        assert.equal(everyMs, 100);
        tick = check;
        return () => (stopped = true);
      },
    });
    assert.deepEqual(set, [], "below the cap from the start: V8's default stays");
    size = 16 * MB;
    tick?.();
    tick?.();
    assert.deepEqual(set, ['--semi-space-growth-factor=1']);
    size = 4 * MB; // V8 shrank it (a memory-reducing collection): it may grow again, to the cap
    governor.check();
    tick?.();
    assert.deepEqual(set, ['--semi-space-growth-factor=1', '--semi-space-growth-factor=2']);
    governor.stop();
    assert.equal(stopped, true);
  });

  it('keeps a real young generation at the cap, which without it grows to 32 MB', () => {
    assert.equal(largestYoungGeneration(0), 32 * MB);
    assert.ok(largestYoungGeneration(16) <= 16 * MB);
    assert.ok(largestYoungGeneration(8) <= 8 * MB);
  });

  it('runs for the commands that serve, unless the lean flags keep it smaller already', () => {
    assert.equal(capsYoungGeneration(['serve', '--port', '0']), true);
    assert.equal(capsYoungGeneration(['start']), true);
    assert.equal(capsYoungGeneration(['start'], { LIVELINK_LEAN_MEMORY: '1' }), false);
    assert.equal(capsYoungGeneration(['migration-host', 'run']), false);
    assert.equal(capsYoungGeneration(['org', 'list']), false);
    assert.equal(capsYoungGeneration([]), false);
  });
});
