/**
 * The disk's flush rate, measured where the SQLite data lives: the limit of a write path that makes one
 * fsync per commit. One WAL frame is a 4,096-byte page plus its 24-byte header, so each write is 4,120
 * bytes, at successive offsets in a 4 MiB file (a WAL's usual size between checkpoints), each followed by
 * fsync. fsync and not fdatasync: better-sqlite3 builds SQLite without HAVE_FDATASYNC, so a commit's flush
 * is an fsync too.
 */
import { closeSync, fsyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const FRAME_BYTES = 4120;
const FILE_BYTES = 4 * 1024 * 1024;

/** fsyncs per second over `durationMs`, each after one frame-sized write, in a scratch file in `dir`. */
export function measureFsyncRate(dir: string, durationMs = 1000): number {
  const file = join(dir, 'fsync-probe.tmp');
  const fd = openSync(file, 'w', 0o600);
  try {
    // Allocated and flushed first, as a WAL that has grown once is: the probe times overwrites, not growth.
    writeSync(fd, Buffer.alloc(FILE_BYTES), 0, FILE_BYTES, 0);
    fsyncSync(fd);
    const frame = Buffer.alloc(FRAME_BYTES, 0x5a);
    const frames = Math.floor(FILE_BYTES / FRAME_BYTES);
    const start = process.hrtime.bigint();
    const end = start + BigInt(durationMs) * 1_000_000n;
    let count = 0;
    let now = start;
    while (now < end) {
      writeSync(fd, frame, 0, FRAME_BYTES, (count % frames) * FRAME_BYTES);
      fsyncSync(fd);
      count += 1;
      now = process.hrtime.bigint();
    }
    return count / (Number(now - start) / 1e9);
  } finally {
    closeSync(fd);
    rmSync(file, { force: true });
  }
}
