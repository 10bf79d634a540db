import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runtimeV8Flags } from '../../src/cli/v8-flags.js';

const LEAN = { LIVELINK_LEAN_MEMORY: '1' };

describe('runtimeV8Flags', () => {
  it("keeps V8's defaults for the server unless the environment asks for less memory", () => {
    assert.equal(runtimeV8Flags(['serve', '--port', '0']), '');
    assert.equal(runtimeV8Flags(['start'], { LIVELINK_LEAN_MEMORY: '0' }), '');
    assert.equal(runtimeV8Flags(['serve', '--port', '0'], LEAN), '--optimize-for-size --semi-space-growth-factor=1');
    assert.equal(runtimeV8Flags(['start'], LEAN), '--optimize-for-size --semi-space-growth-factor=1');
  });

  it("keeps V8's defaults for the migration host, which copies at a rate of its own, and for the other commands", () => {
    assert.equal(runtimeV8Flags(['migration-host', 'run', '--source-url', 'http://127.0.0.1:8080'], LEAN), '');
    assert.equal(runtimeV8Flags(['org', 'list'], LEAN), '');
    assert.equal(runtimeV8Flags([], LEAN), '');
  });
});
