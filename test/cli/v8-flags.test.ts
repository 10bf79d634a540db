/**
 * The V8 flags bin/livelink.js sets at run time (src/cli/v8-flags.ts): which commands get which, and, in a
 * real V8, that --optimize-for-size set after start-up still holds the old generation near what is live.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runtimeV8Flags } from '../../src/cli/v8-flags.js';

const LEAN = { LIVELINK_LEAN_MEMORY: '1' };
const CHILD = fileURLToPath(new URL('../support/old-generation-child.ts', import.meta.url));

/** The largest old generation the child committed, with `flags` set at run time ('' for none). */
function largestOldGeneration(flags: string): number {
  const out = execFileSync(process.execPath, ['--import', 'tsx', CHILD, flags], { encoding: 'utf8' });
  return (JSON.parse(out) as { largestBytes: number }).largestBytes;
}

describe('runtimeV8Flags', () => {
  it('runs the server optimized for size, and with 1 MB semi-spaces when the environment asks for less memory', () => {
    assert.equal(runtimeV8Flags(['serve', '--port', '0']), '--optimize-for-size');
    assert.equal(runtimeV8Flags(['start'], { LIVELINK_LEAN_MEMORY: '0' }), '--optimize-for-size');
    assert.equal(runtimeV8Flags(['serve', '--port', '0'], LEAN), '--optimize-for-size --semi-space-growth-factor=1');
    assert.equal(runtimeV8Flags(['start'], LEAN), '--optimize-for-size --semi-space-growth-factor=1');
  });

  it("keeps V8's defaults for the migration host, which copies at a rate of its own, and for the other commands", () => {
    assert.equal(runtimeV8Flags(['migration-host', 'run', '--source-url', 'http://127.0.0.1:8080'], LEAN), '');
    assert.equal(runtimeV8Flags(['migration-host', 'run']), '');
    assert.equal(runtimeV8Flags(['org', 'list'], LEAN), '');
    assert.equal(runtimeV8Flags([]), '');
  });

  it("holds a real old generation under half the size it grows to with V8's defaults, set at run time", () => {
    // Some 9 MB live, replaced continuously: with the defaults V8 lets the old generation grow to ~95 MB
    // of mostly garbage before a full collection; --optimize-for-size, set after start-up, to ~40.
    const defaults = largestOldGeneration('');
    const optimizedForSize = largestOldGeneration('--optimize-for-size');
    assert.ok(optimizedForSize < defaults / 2, `${optimizedForSize} bytes with the flag, ${defaults} without`);
  });
});
