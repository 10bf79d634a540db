/**
 * The V8 flags bin/livelink.js sets, at run time, for the command on its command line.
 *
 * `serve` and `start` run the server, which holds little (a few MB of replay records and caches) but
 * allocates fast under load: with V8's defaults the old generation then grows to several times what is
 * live before a full collection, and the young generation to its 32 MB most (two 16 MB semi-spaces), so
 * the server ended a load at twice the resident memory of a bare node:http server.
 * - --optimize-for-size makes every full collection one that reduces memory (it compacts, returns pages
 *   and shrinks the young generation) and grows the heap's limit by the conservative factor.
 * - --semi-space-growth-factor=1 keeps the young generation from growing again once the bundle is
 *   loaded: it stays at the size start-up left it, or the smaller one a full collection shrinks it to
 *   (1 MB semi-spaces after a load). The status path was no slower for it, rather faster: what a request
 *   allocates stays in the caches.
 * Set once V8 runs, neither can change what is fixed when the heap is made (the young generation's
 * largest size, --max-semi-space-size); given on Node's command line they could, but
 * `node bin/livelink.js serve` has no place for them, and starting a second process to pass them would
 * cost the start-up time the first one already took.
 *
 * Other commands run briefly, and the migration host (a separate process, `migration-host run`) copies
 * documents at a rate its own benchmark holds: both keep V8's defaults.
 */
export function runtimeV8Flags(argv: readonly string[]): string {
  const command = argv[0];
  return command === 'serve' || command === 'start' ? SERVER_FLAGS : '';
}

const SERVER_FLAGS = '--optimize-for-size --semi-space-growth-factor=1';
