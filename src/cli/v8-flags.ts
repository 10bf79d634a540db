/**
 * The V8 flags bin/livelink.js sets, at run time, for the command on its command line.
 *
 * `serve` and `start` run the server, which holds little (some 20 MB of modules, compiled code, replay
 * records and caches) but allocates fast under load. With V8's defaults the old generation then grows to
 * about twice what is live before a full collection: after each one V8 lets it grow by at least 8 MB plus
 * the young generation's whole capacity, whatever the growing factor says. So the server runs with
 * --optimize-for-size, which V8 reads at each full collection: the step is 2 MB, a full collection
 * started by that limit is one that reduces memory (it compacts, returns pages, shrinks the young
 * generation, which the governor lets grow back to its cap) and the limit grows by the conservative
 * factor. Measured (docs/benchmarks.md, "Memory: the old generation held near what is live"), three
 * pairs of quick runs: the old generation after the bench's load 32-37 → 17-22 MB committed, resident
 * memory 129-131 → 96-113 MB; status-reuse 0.380 → 0.361 of the baseline (means), status-challenge
 * 0.188 → 0.165: the collections that reduce memory also flush code not run lately and shrink the young
 * generation, which grows back through more scavenges.
 *
 * `LIVELINK_LEAN_MEMORY=1` adds --semi-space-growth-factor=1, which keeps the young generation at 1 MB
 * semi-spaces once the bundle is loaded: some 15 MB less again, at about three quarters of the throughput
 * (the scavenges; measured the same way). Without it the young generation is capped at 16 MB at run time
 * instead (young-generation-governor.ts).
 *
 * Set once V8 runs, neither flag can change what is fixed when the heap is made (the young generation's
 * largest size, --max-semi-space-size); given on Node's command line they could, but
 * `node bin/livelink.js serve` has no place for them, and starting a second process to pass them would
 * cost the start-up time the first one already took.
 *
 * Other commands run briefly, and the migration host (a separate process, `migration-host run`) copies
 * documents at a rate its own benchmark holds: both keep V8's defaults whatever the environment says.
 */
export function runtimeV8Flags(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = {}): string {
  if (!runsTheServer(argv)) return '';
  return leanMemory(env) ? `${SERVER_FLAGS} --semi-space-growth-factor=1` : SERVER_FLAGS;
}

/**
 * Whether bin/livelink.js caps the young generation at run time (young-generation-governor.ts): for the
 * server, unless the lean flags already keep it at its smallest.
 */
export function capsYoungGeneration(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = {}): boolean {
  return runsTheServer(argv) && !leanMemory(env);
}

function runsTheServer(argv: readonly string[]): boolean {
  return argv[0] === 'serve' || argv[0] === 'start';
}

function leanMemory(env: Readonly<Record<string, string | undefined>>): boolean {
  return env['LIVELINK_LEAN_MEMORY'] === '1';
}

const SERVER_FLAGS = '--optimize-for-size';
