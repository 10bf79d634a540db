/**
 * Keeps V8's young generation of the server at a size of our choosing instead of its 32 MB most.
 *
 * Under load the server allocates fast and keeps little: with V8's defaults the young generation then
 * doubles (two semi-spaces, 1 → 16 MB each) and stays at 32 MB resident, most of the gap between
 * livelink's resident memory and a bare node:http server's. The one flag that caps it,
 * --max-semi-space-size, acts only when the heap is made, and `node bin/livelink.js serve` has no place
 * for it (see v8-flags.ts). --semi-space-growth-factor is read each time V8 grows the young generation,
 * so setting it at run time works: 2 (V8's default) while the young generation can double within the
 * cap, 1 once it cannot. Fixing it at 1 from the start (LIVELINK_LEAN_MEMORY) keeps the semi-spaces at 1 MB
 * and costs a quarter of the throughput in scavenges; a cap lets the young generation grow to a size
 * where a scavenge is rare and stop there.
 *
 * Started by bin/livelink.js for the commands that run the server, never inside runCli: tests run the CLI
 * in their own process.
 */
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

/** The young generation's size (both semi-spaces) at which it stops growing: two 8 MB semi-spaces. */
export const YOUNG_GENERATION_CAP_BYTES = 16 * 1024 * 1024;
/** How often the size is read: growing from half the cap to the cap takes a scavenge of its own. */
export const GOVERNOR_INTERVAL_MS = 100;

/**
 * V8's growth factor for a young generation of `sizeBytes`: 2 while doubling stays within the cap, 1
 * once it would not. Not "below the cap": V8's sizes are not all powers of two (10 MB doubles to 20).
 */
export function semiSpaceGrowthFactor(sizeBytes: number, capBytes: number): 1 | 2 {
  return sizeBytes * 2 > capBytes ? 1 : 2;
}

export interface GovernorOptions {
  capBytes?: number;
  everyMs?: number;
  /** The young generation's size now (V8's new space). */
  readSize?: () => number;
  setFlags?: (flags: string) => void;
  /** Runs `check` every `everyMs` without keeping the process alive; returns how to stop. */
  every?: (check: () => void, everyMs: number) => () => void;
}

export interface YoungGenerationGovernor {
  /** Reads the size and sets the factor if it changed (the timer calls it; tests too). */
  check(): void;
  stop(): void;
}

function newSpaceSize(): number {
  return getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0;
}

function unrefInterval(check: () => void, everyMs: number): () => void {
  const timer = setInterval(check, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

export function governYoungGeneration(options: GovernorOptions = {}): YoungGenerationGovernor {
  const capBytes = options.capBytes ?? YOUNG_GENERATION_CAP_BYTES;
  const readSize = options.readSize ?? newSpaceSize;
  const setFlags = options.setFlags ?? setFlagsFromString;
  // V8's default; set only on a change, so a steady server makes no call into V8 but the read.
  let factor: 1 | 2 = 2;
  const check = (): void => {
    const wanted = semiSpaceGrowthFactor(readSize(), capBytes);
    if (wanted === factor) return;
    factor = wanted;
    setFlags(`--semi-space-growth-factor=${wanted}`);
  };
  check();
  const stop = (options.every ?? unrefInterval)(check, options.everyMs ?? GOVERNOR_INTERVAL_MS);
  return { check, stop };
}
