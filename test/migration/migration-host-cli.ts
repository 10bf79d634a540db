/**
 * The CLI in a process of its own, from the sources (no build needed), for the tests that start
 * `livelink migration-host run` and kill it with SIGKILL:
 *
 *   node --import tsx test/migration/migration-host-cli.ts migration-host run --source-url ... --state-dir ...
 */
import { runCli } from '../../src/cli/cli.js';

process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
