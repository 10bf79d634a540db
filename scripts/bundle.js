// Bundles the CLI (and so the server) into dist/livelink.mjs, which bin/livelink.js runs: a few files
// to read and compile at start-up instead of hundreds of ES modules (finding 11 of docs/benchmarks.md).
// What livelink imports on demand (the HTTP server and web pages, undici) goes into dist/chunks/, read
// only when used: a CLI command never loads the server, a server loads undici at its first push.
// Usage: node scripts/bundle.js (`npm run build` runs it after tsc). LIVELINK_BUNDLE_METAFILE=FILE
// writes esbuild's metafile there (what each package weighs).
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const metafile = process.env.LIVELINK_BUNDLE_METAFILE;

// Chunk names carry a content hash: without this, every build would leave the previous ones behind.
rmSync(join(root, 'dist', 'chunks'), { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: { livelink: 'src/cli/cli.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  // V8 keeps each module's source text for as long as the process runs, and keeps it at two bytes a
  // character if a single character is not Latin-1: the comments esbuild keeps held a few ("’", "→"),
  // which doubled livelink.mjs and the server chunk. Without whitespace and comments the bundle is ASCII
  // (esbuild escapes the rest) and a third smaller, and parses sooner; stack traces map back to the
  // TypeScript through the source maps (`node --enable-source-maps`). The licence comments go to a
  // .LEGAL.txt beside each chunk, named at its end, so the bundle still carries them.
  minifyWhitespace: true,
  legalComments: 'linked',
  // Kept out of the bundle: better-sqlite3 loads its native addon relative to its own files; pg is
  // loaded only for a PostgreSQL URL, and pg-native is its optional native driver livelink never uses.
  external: ['better-sqlite3', 'pg', 'pg-native'],
  // The CommonJS dependencies (fastify, pino…) call require() for Node's built-ins; an ES module has
  // no require, so each output file makes one.
  banner: {
    js: "import { createRequire as __livelinkCreateRequire } from 'node:module';\nconst require = __livelinkCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
  metafile: metafile !== undefined,
});
if (metafile !== undefined) writeFileSync(metafile, JSON.stringify(result.metafile));
