import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServiceVersion } from '../http/server.js';

/**
 * The folder of livelink's package.json: the nearest one above this file. Searched rather than fixed,
 * because this code runs from src/app (tsx), dist/app (tsc) and dist/livelink.mjs (the bundle).
 */
function findPackageRoot(from: string): string {
  for (let dir = from; ;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return from;
    dir = parent;
  }
}

const packageRoot = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

/**
 * `X-MongoDB-Service-Version: gitHash=...; versionString=...`. The hash is LIVELINK_GIT_HASH when set
 * (an installed build), else read from the checkout, else "unknown"; always a key=value pair, since
 * the Go client splits the header on ";" and "=" and would fail on anything else.
 */
export function readServiceVersion(env: Readonly<Record<string, string | undefined>>): ServiceVersion {
  const pkg = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string };
  return { gitHash: env['LIVELINK_GIT_HASH'] ?? gitHead() ?? 'unknown', versionString: `livelink-${pkg.version}` };
}

function gitHead(): string | undefined {
  try {
    const head = readFileSync(join(packageRoot, '.git', 'HEAD'), 'utf8').trim();
    if (!head.startsWith('ref: ')) return /^[0-9a-f]{40}$/.test(head) ? head : undefined;
    const ref = head.slice(5);
    try {
      return readFileSync(join(packageRoot, '.git', ref), 'utf8').trim();
    } catch {
      const packed = readFileSync(join(packageRoot, '.git', 'packed-refs'), 'utf8');
      return packed
        .split('\n')
        .find((line) => line.endsWith(` ${ref}`))
        ?.split(' ')[0];
    }
  } catch {
    return undefined;
  }
}
