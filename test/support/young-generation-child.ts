/**
 * Allocates as a server under load does, many short-lived objects and a few that survive a while, with
 * the event loop turning between bursts; prints the largest young generation V8 reached. With `cap` (MB)
 * the governor runs. Run by test/cli/young-generation-governor.test.ts.
 */
import { getHeapSpaceStatistics } from 'node:v8';
import { governYoungGeneration } from '../../src/cli/young-generation-governor.js';

const capMb = Number(process.argv[2] ?? 0);
if (capMb > 0) governYoungGeneration({ capBytes: capMb * 1024 * 1024, everyMs: 1 });

const newSpace = () => getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0;
const kept: object[] = [];
let largest = 0;
let sink = 0;
for (let burst = 0; burst < 1500; burst += 1) {
  for (let i = 0; i < 4000; i += 1) {
    const made = { name: `request ${burst}.${i}`, headers: [burst, i, burst + i], body: { at: i } };
    sink += made.headers.length;
    if (i % 50 === 0) {
      kept.push(made);
      if (kept.length > 40_000) kept.splice(0, 20_000);
    }
  }
  largest = Math.max(largest, newSpace());
  await new Promise((resolve) => setImmediate(resolve));
}
process.stdout.write(`${JSON.stringify({ largestBytes: largest, sink })}\n`);
