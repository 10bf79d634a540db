// Runs every test file under test/ with Node's test runner (Node 20's --test takes no glob patterns).
// Usage: node scripts/run-tests.js [folder-or-file ...]
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';

function collect(path) {
  if (statSync(path).isFile()) return path.endsWith('.test.ts') ? [path] : [];
  return readdirSync(path)
    .sort()
    .flatMap((name) => collect(join(path, name)));
}

/**
 * The files that take longest (real servers, browsers, processes killed and restarted) start first: the
 * runner takes files in order, two at a time, so a long file started last would run alone at the end.
 */
const LONGEST_FIRST = [
  'test/migration/end-to-end.test.ts',
  'test/web/migrate-pages-browser.test.ts',
  'test/durability/crash.test.ts',
  'test/cli/start.test.ts',
  'test/cli/cluster.test.ts',
  'test/web/web-pages-browser.test.ts',
  'test/scale/lease-takeover.test.ts',
  'test/migration/crash-resume.test.ts',
  'test/migration/initial-copy.test.ts',
  'test/migration/change-stream.test.ts',
  'test/security/outbound-limits.test.ts',
];
const rank = (file) => {
  const index = LONGEST_FIRST.indexOf(file.split(sep).join('/'));
  return index === -1 ? LONGEST_FIRST.length : index;
};

const roots = process.argv.slice(2);
const files = (roots.length > 0 ? roots : ['test'])
  .flatMap(collect)
  .map((file, order) => ({ file, order }))
  .sort((a, b) => rank(a.file) - rank(b.file) || a.order - b.order)
  .map(({ file }) => file);
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
