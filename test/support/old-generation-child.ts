/**
 * Allocates as a server under load does, with objects that live long enough to be promoted and then die
 * (so the old generation fills with garbage between full collections), under the young-generation
 * governor at 16 MB; prints the largest old generation V8 committed. With `--optimize-for-size` as its
 * argument, sets that flag at run time first, as bin/livelink.js does. Run by
 * test/cli/v8-flags.test.ts.
 */
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { governYoungGeneration } from '../../src/cli/young-generation-governor.js';

const flags = process.argv[2] ?? '';
if (flags !== '') setFlagsFromString(flags);
const governor = governYoungGeneration({ everyMs: 1 });

const oldSpace = () => getHeapSpaceStatistics().find((space) => space.space_name === 'old_space')?.space_size ?? 0;
// A ring of recent "requests": each survives a few scavenges, so it is promoted, then replaced.
const ring: object[] = new Array<object>(60_000);
let largest = 0;
let sink = 0;
for (let burst = 0; burst < 800; burst += 1) {
  for (let i = 0; i < 2000; i += 1) {
    const made = { name: `request ${burst}.${i}`, headers: [burst, i, burst + i], body: { at: i } };
    sink += made.headers.length;
    ring[(burst * 2000 + i) % ring.length] = made;
  }
  largest = Math.max(largest, oldSpace());
  await new Promise((resolve) => setImmediate(resolve));
}
governor.stop();
process.stdout.write(`${JSON.stringify({ largestBytes: largest, sink })}\n`);
