/**
 * A PostgreSQL cluster of the test's own: initdb in a temporary folder, started on a free port, so that a
 * test may crash and restart PostgreSQL itself without touching the server others share. PostgreSQL will
 * not run as root: as root the cluster runs as the `postgres` user (which owns its folder).
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../bench/lib/startup.js';

const run = promisify(execFile);
const BIN = '/usr/lib/postgresql/15/bin';

export const PRIVATE_POSTGRES_SKIP_REASON = existsSync(join(BIN, 'initdb'))
  ? false
  : `a private PostgreSQL cluster needs ${BIN}/initdb (the postgresql-15 package)`;

export interface PrivatePostgres {
  /** The superuser's URL of the `postgres` database (it may create databases). */
  adminUrl: string;
  /** Stops PostgreSQL as a crash does (`-m immediate`: no checkpoint, recovery at the next start), and starts it. */
  crashAndRestart(): Promise<void>;
  destroy(): Promise<void>;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const folder = mkdtempSync(join(tmpdir(), 'livelink-pg-'));
  const data = join(folder, 'data');
  const asRoot = process.getuid?.() === 0;
  let owner: { uid: number; gid: number } | undefined;
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    owner = { uid: Number(stdout.trim()), gid: Number(gid.trim()) };
    chownSync(folder, owner.uid, owner.gid);
  }
  const pg = (tool: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(BIN, tool), ...args]) : run(join(BIN, tool), args);
  const port = await freePort();
  await pg('initdb', ['-D', data, '-U', 'livelink', '--auth=trust', '--no-sync', '-E', 'UTF8']);
  const options = `-p ${port} -k ${folder} -c listen_addresses=127.0.0.1 -c fsync=on -c shared_buffers=16MB -c max_connections=60`;
  const start = () => pg('pg_ctl', ['-D', data, '-o', options, '-l', join(folder, 'log'), '-w', '-t', '30', 'start']);
  await start();
  let running = true;
  return {
    adminUrl: `postgres://livelink@127.0.0.1:${port}/postgres`,
    async crashAndRestart() {
      await pg('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      await start();
    },
    async destroy() {
      if (running) await pg('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      running = false;
      rmSync(folder, { recursive: true, force: true });
    },
  };
}
