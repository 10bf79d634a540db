#!/usr/bin/env node
// The installed entry point: the bundled CLI (`npm run build`, which npm install runs through `prepare`,
// writes it with scripts/bundle.js). One bundle starts far sooner than the hundreds of modules of dist/.
import { runCli } from '../dist/livelink.mjs';

process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
