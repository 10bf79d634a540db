#!/usr/bin/env node
// The installed entry point: the bundled CLI (`npm run build`, which npm install runs through `prepare`,
// writes it with scripts/bundle.js). One bundle starts far sooner than the hundreds of modules of dist/.
import { setFlagsFromString } from 'node:v8';
import { capsYoungGeneration, governYoungGeneration, runCli, runtimeV8Flags } from '../dist/livelink.mjs';

// Set here rather than in runCli, which tests run in their own process (see src/cli/v8-flags.ts for why).
const argv = process.argv.slice(2);
const flags = runtimeV8Flags(argv, process.env);
if (flags !== '') setFlagsFromString(flags);
if (capsYoungGeneration(argv, process.env)) governYoungGeneration();

process.exitCode = await runCli(argv, { stdout: process.stdout, stderr: process.stderr, env: process.env });
