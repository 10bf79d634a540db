/**
 * an online backup taken while writes go on passes integrity_check and holds every write
 * acknowledged before the backup started.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { runCli } from '../../src/cli/cli.js';
import { startLivelink, type RunningLivelink } from '../support/livelink-fixture.js';

const sink = () =>
  new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  });

describe('online backup', () => {
  let server: RunningLivelink;
  let dir: string;
  before(async () => {
    server = await startLivelink();
    dir = mkdtempSync(join(tmpdir(), 'livelink-backup-'));
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('copies a consistent database with every write acknowledged before it started, while writes go on', async () => {
    const { organizations } = server.livelink.services;
    const acknowledged: string[] = [];
    for (let i = 0; i < 50; i += 1) acknowledged.push((await organizations.createOrganization(`Before ${i}`)).id);
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing; i += 1) await organizations.createOrganization(`During ${i}`);
    })();
    const file = join(dir, 'copy.sqlite');
    const code = await runCli(['backup', '--to', file, '--data', server.dataDir], { stdout: sink(), stderr: sink(), env: {} });
    writing = false;
    await writer;
    assert.equal(code, 0);
    const copy = new SqliteDatabase(file, { readonly: true });
    try {
      assert.equal(copy.pragma('integrity_check', { simple: true }), 'ok');
      const ids = new Set((copy.prepare('select id from organizations').all() as { id: string }[]).map((row) => row.id));
      assert.deepEqual(
        acknowledged.filter((id) => !ids.has(id)),
        [],
      );
    } finally {
      copy.close();
    }
    assert.equal(
      await runCli(['backup', '--to', file, '--data', server.dataDir], { stdout: sink(), stderr: sink(), env: {} }),
      2,
      'refuses to overwrite',
    );
  });
});
