/**
 * Summarizes .cpuprofile files: where a server spent its CPU.
 * Usage: npx tsx bench/cpuprofile-summary.ts FILE.cpuprofile [...] [--top N]
 */
import process from 'node:process';
import { formatSummary, summarize } from './lib/cpuprofile.js';

const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const top = topAt === -1 ? 20 : Number(args[topAt + 1]);
const files = args.filter((_, i) => topAt === -1 || (i !== topAt && i !== topAt + 1));
if (files.length === 0 || !Number.isInteger(top)) {
  process.stderr.write('usage: npx tsx bench/cpuprofile-summary.ts FILE.cpuprofile [...] [--top N]\n');
  process.exit(2);
}
for (const file of files) process.stdout.write(`${formatSummary(file, summarize(file, top), top)}\n\n`);
