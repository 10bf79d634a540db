/**
 * The V8 flags bin/livelink.js sets, at run time, for the command on its command line: none unless the
 * environment asks for a smaller server (`LIVELINK_LEAN_MEMORY=1`), since the trade costs throughput.
 *
 * `serve` and `start` run the server, which holds little (a few MB of replay records and caches) but
 * allocates fast under load: with V8's defaults the old generation then grows to several times what is
 * live before a full collection, and the young generation to its 32 MB most (two 16 MB semi-spaces), so
 * the server ends a load at about twice the resident memory of a bare node:http server. Asked for:
 * - --optimize-for-size makes every full collection one that reduces memory (it compacts, returns pages
 *   and shrinks the young generation) and grows the heap's limit by the conservative factor;
 * - --semi-space-growth-factor=1 keeps the young generation from growing again once the bundle is
 *   loaded (1 MB semi-spaces after a full collection).
 * Measured (docs/benchmarks.md, "Memory"): resident memory after the bench's load about 158 MB without
 * and 114 MB with; in paired runs status-reuse 0.396 → 0.297 of the baseline and unauthenticated 0.597 →
 * 0.453: the young generation's scavenges and the less optimised code cost a quarter of the throughput,
 * which is why it is not the default.
 * Set once V8 runs, neither can change what is fixed when the heap is made (the young generation's
 * largest size, --max-semi-space-size); given on Node's command line they could, but
 * `node bin/livelink.js serve` has no place for them, and starting a second process to pass them would
 * cost the start-up time the first one already took.
 *
 * By default the server's young generation is capped at run time instead (young-generation-governor.ts):
 * 16 MB, half of V8's most, which costs no throughput this host can see.
 *
 * Other commands run briefly, and the migration host (a separate process, `migration-host run`) copies
 * documents at a rate its own benchmark holds: both keep V8's defaults whatever the environment says.
 */
export function runtimeV8Flags(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = {}): string {
  return runsTheServer(argv) && env['LIVELINK_LEAN_MEMORY'] === '1' ? LEAN_SERVER_FLAGS : '';
}

/**
 * Whether bin/livelink.js caps the young generation at run time (young-generation-governor.ts): for the
 * server, unless the lean flags already keep it at its smallest.
 */
export function capsYoungGeneration(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = {}): boolean {
  return runsTheServer(argv) && runtimeV8Flags(argv, env) === '';
}

function runsTheServer(argv: readonly string[]): boolean {
  return argv[0] === 'serve' || argv[0] === 'start';
}

const LEAN_SERVER_FLAGS = '--optimize-for-size --semi-space-growth-factor=1';
