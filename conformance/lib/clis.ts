/**
 * MongoDB's own command-line clients: mongocli (source role) and the Atlas CLI (target role),
 * installed with `go install` into conformance/.work/bin. When the Go module proxy does not serve them,
 * their rows are SKIP with the proxy's answer (see conformance/README.md for the evidence).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Check } from './checks.js';
import { runCommand } from './processes.js';
import type { Fixture } from './seed.js';

/** mongocli v1.22.0 (Feb 2022, in the history of the repository now named mongodb-atlas-cli): has `ops-manager liveMigrations link`. */
export const MONGOCLI_PACKAGE = process.env['LIVELINK_MONGOCLI_PACKAGE'] ?? 'github.com/mongodb/mongocli/cmd/mongocli@v1.22.0';
/** The Atlas CLI's current module. */
export const ATLAS_CLI_PACKAGE =
  process.env['LIVELINK_ATLAS_CLI_PACKAGE'] ?? 'github.com/mongodb/mongodb-atlas-cli/atlascli/cmd/atlas@latest';

export interface Installed {
  name: string;
  binary?: string;
  /** Why it could not be installed (the go command's own words). */
  reason?: string;
}

/** `GOBIN=<bin> go install <package>`, once: an existing binary is reused. */
export async function goInstall(name: string, pkg: string, binDir: string, binaryName: string, env: NodeJS.ProcessEnv): Promise<Installed> {
  const binary = join(binDir, binaryName);
  if (existsSync(binary)) return { name, binary };
  mkdirSync(binDir, { recursive: true });
  const result = await runCommand('go', ['install', pkg], { env: { ...env, GOBIN: binDir }, timeoutMs: 300_000 });
  if (result.exitCode === 0 && existsSync(binary)) return { name, binary };
  const said = (result.stderr || result.stdout)
    .trim()
    .split('\n')
    .filter((line) => !line.startsWith('go: downloading'))
    .slice(-2)
    .join(' ');
  return { name, reason: `go install ${pkg}: ${result.timedOut ? 'timed out' : said}` };
}

export function skipRows(setup: string, installed: Installed, operations: readonly string[]): Check[] {
  return operations.map((operation) => ({
    setup,
    client: installed.name,
    operation,
    expected: 'runs',
    got: `not installed: ${installed.reason ?? '?'}`,
    result: 'skip' as const,
  }));
}

export const MONGOCLI_OPERATIONS = [
  'ops-manager liveMigrations link create --linkToken',
  'ops-manager liveMigrations link describe',
  'ops-manager liveMigrations link delete --force',
];
export const ATLAS_CLI_OPERATIONS = ['liveMigrations link create --accessListIp', 'liveMigrations link delete --force'];

/**
 * mongocli against the source role, configured only through its environment variables (prefix MCLI_,
 * viper AutomaticEnv; the Ops Manager URL with its trailing slash, as opsmngr requires).
 */
export async function runMongocli(fixture: Fixture, installed: Installed, linkToken: string, workDir: string): Promise<Check[]> {
  if (installed.binary === undefined) return skipRows(fixture.setup, installed, MONGOCLI_OPERATIONS);
  const client = 'mongocli';
  const env = {
    ...process.env,
    XDG_CONFIG_HOME: join(workDir, 'mongocli-config'),
    MCLI_SERVICE: 'ops-manager',
    MCLI_OPS_MANAGER_URL: `${fixture.sourceUrl}/`,
    MCLI_PUBLIC_API_KEY: fixture.source.publicKey,
    MCLI_PRIVATE_API_KEY: fixture.source.privateKey,
    MCLI_ORG_ID: fixture.source.orgId,
    MCLI_SKIP_UPDATE_CHECK: 'yes',
  };
  const rows: Check[] = [];
  const run = async (args: string[]) => runCommand(installed.binary ?? 'mongocli', args, { env, timeoutMs: 60_000 });
  const summary = (result: { exitCode: number | null; stdout: string; stderr: string }) =>
    `exit ${result.exitCode}: ${(result.stdout + result.stderr).trim().replace(/\s+/g, ' ').slice(0, 160)}`;

  let result = await run(['ops-manager', 'liveMigrations', 'link', 'create', '--linkToken', linkToken]);
  rows.push(row(fixture, client, MONGOCLI_OPERATIONS[0] ?? '', 'exit 0', result.exitCode === 0 ? 'exit 0' : summary(result)));
  result = await run(['ops-manager', 'liveMigrations', 'link', 'describe']);
  rows.push(
    row(
      fixture,
      client,
      MONGOCLI_OPERATIONS[1] ?? '',
      'exit 0, SYNCED',
      result.exitCode === 0 && /\bSYNCED\b/.test(result.stdout) && !/NOT_SYNCED/.test(result.stdout) ? 'exit 0, SYNCED' : summary(result),
    ),
  );
  result = await run(['ops-manager', 'liveMigrations', 'link', 'delete', '--force']);
  rows.push(row(fixture, client, MONGOCLI_OPERATIONS[2] ?? '', 'exit 0', result.exitCode === 0 ? 'exit 0' : summary(result)));
  result = await run(['ops-manager', 'liveMigrations', 'link', 'describe', '-o', 'json']);
  rows.push(
    row(
      fixture,
      client,
      'ops-manager liveMigrations link describe -o json (after delete)',
      'exit 0, NOT_SYNCED',
      result.exitCode === 0 && /NOT_SYNCED/.test(result.stdout) ? 'exit 0, NOT_SYNCED' : summary(result),
    ),
  );
  return rows;
}

/**
 * The Atlas CLI against the target role: its profile reads MONGODB_ATLAS_* variables, and
 * MONGODB_ATLAS_OPS_MANAGER_URL (ops_manager_url, alias base_url) replaces the Atlas base URL.
 */
export async function runAtlasCli(fixture: Fixture, installed: Installed, workDir: string): Promise<Check[]> {
  if (installed.binary === undefined) return skipRows(fixture.setup, installed, ATLAS_CLI_OPERATIONS);
  const client = 'atlas (Atlas CLI)';
  const env = {
    ...process.env,
    XDG_CONFIG_HOME: join(workDir, 'atlascli-config'),
    MONGODB_ATLAS_OPS_MANAGER_URL: `${fixture.targetUrl}/`,
    MONGODB_ATLAS_PUBLIC_API_KEY: fixture.target.publicKey,
    MONGODB_ATLAS_PRIVATE_API_KEY: fixture.target.privateKey,
    MONGODB_ATLAS_ORG_ID: fixture.target.orgId,
    MONGODB_ATLAS_SKIP_UPDATE_CHECK: 'yes',
    MONGODB_ATLAS_TELEMETRY_ENABLE: 'false',
    DO_NOT_TRACK: '1',
  };
  const run = async (args: string[]) => runCommand(installed.binary ?? 'atlas', args, { env, timeoutMs: 60_000 });
  const summary = (result: { exitCode: number | null; stdout: string; stderr: string }) =>
    `exit ${result.exitCode}: ${(result.stdout + result.stderr).trim().replace(/\s+/g, ' ').slice(0, 160)}`;
  const rows: Check[] = [];
  let result = await run(['liveMigrations', 'link', 'create', '--accessListIp', '127.0.0.1']);
  rows.push(
    row(
      fixture,
      client,
      ATLAS_CLI_OPERATIONS[0] ?? '',
      'exit 0, link-token printed',
      result.exitCode === 0 && /Link-token/i.test(result.stdout) ? 'exit 0, link-token printed' : summary(result),
    ),
  );
  result = await run(['liveMigrations', 'link', 'delete', '--force']);
  rows.push(row(fixture, client, ATLAS_CLI_OPERATIONS[1] ?? '', 'exit 0', result.exitCode === 0 ? 'exit 0' : summary(result)));
  return rows;
}

function row(fixture: Fixture, client: string, operation: string, expected: string, got: string): Check {
  return { setup: fixture.setup, client, operation, expected, got, result: expected === got ? 'pass' : 'fail' };
}
