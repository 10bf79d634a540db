import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIST = join(ROOT, 'dist');

/** dist/livelink.mjs and its chunks, as bin/livelink.js loads them. */
function bundleFiles(): string[] {
  const chunks = readdirSync(join(DIST, 'chunks')).filter((name) => name.endsWith('.mjs'));
  return [join(DIST, 'livelink.mjs'), ...chunks.map((name) => join(DIST, 'chunks', name))];
}

describe('the bundle (scripts/bundle.js)', () => {
  before(() => {
    if (!existsSync(join(DIST, 'livelink.mjs'))) execFileSync(process.execPath, ['scripts/bundle.js'], { cwd: ROOT, stdio: 'inherit' });
  });

  it('is ASCII only, so V8 keeps each source as one byte a character rather than two', () => {
    // The web pages' chunk is the exception: esbuild keeps a tagged template's text as written (its raw
    // strings are visible to the tag), and the pages' "·", "→" and "…" are in html`…` templates. It is
    // loaded only when a page is asked for, and is 62 KB.
    const checked = bundleFiles().filter((file) => !/[/\\]web-routes-[^/\\]*$/.test(file));
    assert.ok(checked.length > 3, `only ${checked.length} files in dist`);
    for (const file of checked) {
      const bytes = readFileSync(file);
      const at = bytes.findIndex((byte) => byte > 0x7f);
      const text = bytes.toString('latin1');
      assert.equal(at, -1, `${file}: a non-ASCII byte at ${at}: ${JSON.stringify(text.slice(Math.max(0, at - 40), at + 10))}`);
    }
  });

  it('links each file to its source map, which names the TypeScript sources, for `node --enable-source-maps`', () => {
    const main = readFileSync(join(DIST, 'livelink.mjs'), 'utf8');
    assert.match(main, /\n\/\/# sourceMappingURL=livelink\.mjs\.map\n?$/);
    const map = JSON.parse(readFileSync(join(DIST, 'livelink.mjs.map'), 'utf8')) as { sources: string[]; mappings: string };
    assert.ok(
      map.sources.some((source) => source.endsWith('src/cli/cli.ts')),
      'src/cli/cli.ts among the sources',
    );
    assert.ok(map.mappings.length > 0);
  });

  it('keeps the licence comments of the bundled packages, in a file beside the chunk that names it', () => {
    const linked = bundleFiles().flatMap((file) => {
      const match = /\/\*! For license information please see (\S+) \*\//.exec(readFileSync(file, 'utf8'));
      return match === null ? [] : [join(file, '..', match[1] as string)];
    });
    assert.ok(linked.length > 0, 'no chunk links a licence file');
    for (const file of linked) assert.match(readFileSync(file, 'utf8'), /@license|License|Licensed/, file);
  });
});
