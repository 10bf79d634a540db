#!/usr/bin/env node
// The installed entry point: the compiled CLI (npm install runs the build through `prepare`).
import { runCli } from '../dist/cli/cli.js';

process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
