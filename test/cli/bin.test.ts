import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { OBJECT_ID, PUBLIC_KEY, tempDataDir, UUID } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The installed entry point, run as a real process against the bundled CLI, dist/livelink.mjs. */
describe('bin/livelink.js', () => {
  const temp = tempDataDir();
  // Without the developer's LIVELINK_* variables, which would change what the process does.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('LIVELINK_')));
  const livelink = (...args: string[]): ReturnType<typeof spawnSync> =>
    spawnSync(process.execPath, ['bin/livelink.js', ...args], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });

  before(() => {
    if (!existsSync(new URL('dist/livelink.mjs', `file://${ROOT}`))) {
      execFileSync(process.execPath, ['scripts/bundle.js'], { cwd: ROOT, stdio: 'inherit' });
    }
  });
  after(() => temp.remove());

  it('init --json prints the demo credentials, the same on a second run, and exits 0', () => {
    const first = livelink('init', '--json', '--data', temp.dir);
    assert.equal(first.stderr, '');
    assert.equal(first.status, 0);
    const demo = JSON.parse(String(first.stdout)) as Record<string, Record<string, string>>;
    assert.deepEqual(Object.keys(demo), ['source', 'target', 'users', 'atlasProject', 'migrationHost']);
    for (const side of ['source', 'target']) {
      const key = demo[side] ?? {};
      assert.deepEqual(Object.keys(key), ['orgId', 'publicKey', 'privateKey']);
      assert.match(key['orgId'] ?? '', OBJECT_ID);
      assert.match(key['publicKey'] ?? '', PUBLIC_KEY);
      assert.match(key['privateKey'] ?? '', UUID);
    }
    assert.notEqual(demo['source']?.['orgId'], demo['target']?.['orgId']);

    const second = livelink('init', '--json', '--data', temp.dir);
    assert.equal(second.status, 0);
    assert.equal(second.stdout, first.stdout);
  });

  it('sets the exit code 2 for an unknown command', () => {
    const result = livelink('frobnicate');
    assert.equal(result.status, 2);
    assert.equal(result.stdout, '');
    assert.equal(result.stderr, 'livelink: unknown command "frobnicate" (see livelink --help)\n');
  });
});
