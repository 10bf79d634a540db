import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runtimeV8Flags } from '../../src/cli/v8-flags.js';

describe('runtimeV8Flags', () => {
  it('favours memory over speed for the commands that run the server', () => {
    assert.equal(runtimeV8Flags(['serve', '--port', '0']), '--optimize-for-size --semi-space-growth-factor=1');
    assert.equal(runtimeV8Flags(['start']), '--optimize-for-size --semi-space-growth-factor=1');
  });

  it("keeps V8's defaults for the migration host, which copies at a rate of its own, and for the other commands", () => {
    assert.equal(runtimeV8Flags(['migration-host', 'run', '--source-url', 'http://127.0.0.1:8080']), '');
    assert.equal(runtimeV8Flags(['org', 'list']), '');
    assert.equal(runtimeV8Flags([]), '');
  });
});
