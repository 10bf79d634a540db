/**
 * `npm run conformance`: drives started livelink servers with clients nobody in this project wrote
 * (MongoDB's Go client code, Python requests and the opsmanager package, curl, mongocli and the Atlas
 * CLI where they can be installed, Schemathesis), prints a table of every check, and exits non-zero
 * when any check failed. Two setups: one process serving both roles, and a source process and a target
 * process (`--role source --target-url ...` / `--role target`). See conformance/README.md.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatFailures, formatTable, parseClientOutput, type Check } from './lib/checks.js';
import {
  ATLAS_CLI_OPERATIONS,
  ATLAS_CLI_PACKAGE,
  goInstall,
  MONGOCLI_OPERATIONS,
  MONGOCLI_PACKAGE,
  runAtlasCli,
  runMongocli,
  skipRows,
  type Installed,
} from './lib/clis.js';
import {
  connectSourceWithCurl,
  createLinkTokenWithCurl,
  deleteLinkTokensWithCurl,
  disconnectSourceWithCurl,
  runCurlFlow,
} from './lib/curl-flow.js';
import { ensureInitSnapshot, restoreAfterControlPass } from './lib/control.js';
import { runFuzzPass, type FuzzParameters, type FuzzPass, type FuzzSettings } from './lib/fuzz.js';
import { runCommand, startLivelink, stopAll, type RunningServer } from './lib/processes.js';
import { clientEnv, seedProbeKeys, Seeder, type Fixture } from './lib/seed.js';

const conformanceDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(conformanceDir, '..');
const workDir = join(conformanceDir, '.work');
const binDir = join(workDir, 'bin');
const goProgram = join(binDir, 'livelink-conformance-go');

const fuzzSettings: FuzzSettings = {
  conformanceDir,
  workDir,
  examples: Number(process.env['LIVELINK_FUZZ_EXAMPLES'] ?? '40'),
  seed: process.env['LIVELINK_FUZZ_SEED'] ?? '1',
};

/**
 * LIVELINK_CONFORMANCE_ONLY: a comma-separated list of the legs and passes to run (go, python, curl, mongocli,
 * atlas-cli, source, target, migration-host, relay, inventory, control), to iterate on one; unset runs all.
 * A filtered run cannot tell whether every operation was fuzzed, so that row is then a skip.
 */
const only = (process.env['LIVELINK_CONFORMANCE_ONLY'] ?? '')
  .split(',')
  .map((name) => name.trim())
  .filter((name) => name !== '');
const selected = (name: string): boolean => only.length === 0 || only.includes(name);

/**
 * The servers' control token, new each run: the control pass authenticates with it, so the bearer scheme the
 * document declares is what the server enforces (with no token, a loopback caller needs none: ST401).
 */
const controlToken = randomBytes(24).toString('base64url');
const serverEnv = (): NodeJS.ProcessEnv => ({ ...process.env, LIVELINK_CONTROL_TOKEN: controlToken });

function step(message: string): void {
  process.stderr.write(`conformance: ${message}\n`);
}

async function must(what: string, promise: ReturnType<typeof runCommand>): Promise<void> {
  const result = await promise;
  if (result.exitCode !== 0) {
    throw new Error(
      `${what} failed (exit ${result.exitCode}${result.timedOut ? ', timed out' : ''}):\n${(result.stdout + result.stderr).trim().split('\n').slice(-20).join('\n')}`,
    );
  }
}

const goEnv = (): NodeJS.ProcessEnv => ({ ...process.env, GOTOOLCHAIN: 'local' });

/** npm run build, the Python venv, the Go program, mongocli and the Atlas CLI (these two when the proxy serves them). */
async function install(): Promise<{ mongocli: Installed; atlasCli: Installed }> {
  mkdirSync(binDir, { recursive: true });
  step('npm run build');
  await must('npm run build', runCommand('npm', ['run', 'build'], { cwd: repoRoot, timeoutMs: 300_000 }));

  const requirements = join(conformanceDir, 'python', 'requirements.txt');
  const stamp = join(workDir, 'venv', '.requirements.sha256');
  const wanted = createHash('sha256').update(readFileSync(requirements)).digest('hex');
  if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== wanted) {
    step('Python virtualenv conformance/.work/venv (requests, opsmanager, schemathesis)');
    rmSync(join(workDir, 'venv'), { recursive: true, force: true });
    await must('python3 -m venv', runCommand('python3', ['-m', 'venv', join(workDir, 'venv')], { timeoutMs: 120_000 }));
    await must(
      'pip install',
      runCommand(
        join(workDir, 'venv', 'bin', 'python'),
        ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '-r', requirements],
        { timeoutMs: 600_000 },
      ),
    );
    writeFileSync(stamp, wanted);
  }

  step('go build conformance/go (go.mongodb.org/atlas, github.com/mongodb-forks/digest)');
  await must(
    'go build',
    runCommand('go', ['build', '-mod=readonly', '-o', goProgram, '.'], {
      cwd: join(conformanceDir, 'go'),
      env: goEnv(),
      timeoutMs: 600_000,
    }),
  );

  step(`go install ${MONGOCLI_PACKAGE}`);
  const mongocli = await goInstall('mongocli', MONGOCLI_PACKAGE, binDir, 'mongocli', goEnv());
  if (mongocli.reason) step(`mongocli not installed: ${mongocli.reason}`);
  step(`go install ${ATLAS_CLI_PACKAGE}`);
  const atlasCli = await goInstall('atlas (Atlas CLI)', ATLAS_CLI_PACKAGE, binDir, 'atlas', goEnv());
  if (atlasCli.reason) step(`Atlas CLI not installed: ${atlasCli.reason}`);
  return { mongocli, atlasCli };
}

interface Setup {
  fixture: Fixture;
  servers: RunningServer[];
  /** The OpenAPI document(s) Schemathesis reads for the source and for the target passes. */
  sourceSchema: string;
  targetSchema: string;
  fuzzResources: FuzzResources;
}

/** What only the Schemathesis passes use: resources of the target organization, and a migration host's own key. */
interface FuzzResources {
  /** A project of the target organization, and a destination cluster in it. */
  targetProjectId: string;
  clusterName: string;
  /** A migration host of the source project, added for the passes, with the key only it may use. */
  migrationHost: { hostname: string; publicKey: string; privateKey: string };
  /** A spare key of each organization, for the API-key routes to update and delete. */
  sourceSpareKeyId: string;
  targetSpareKeyId: string;
}

/** The rehearsal control API's prefix: outside the Ops Manager and Atlas APIs, fuzzed by a pass of its own. */
const CONTROL_PREFIX = '/_livelink/control/';

const FUZZ_HOST = 'mh-fuzz.conformance.internal';

/** The target project and its cluster (in the target's data folder), and a new host of the source project with its key (in the source's). */
async function seedFuzzResources(
  sourceSeed: Seeder,
  targetSeed: Seeder,
  sourceOrgId: string,
  targetOrgId: string,
  sourceProjectId: string,
): Promise<FuzzResources> {
  const targetProjectId = await targetSeed.createProject(targetOrgId, 'Conformance Destination Project');
  const clusterName = await targetSeed.createCluster(targetProjectId, 'ConformanceCluster0');
  const migrationHost = await sourceSeed.addMigrationHostWithKey(sourceProjectId, FUZZ_HOST);
  const sourceSpareKeyId = await sourceSeed.createSpareKey(sourceOrgId);
  const targetSpareKeyId = await targetSeed.createSpareKey(targetOrgId);
  return { targetProjectId, clusterName, migrationHost, sourceSpareKeyId, targetSpareKeyId };
}

function freshDir(name: string): string {
  const dir = join(workDir, 'data', name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

const serveFlags = ['--port', '0', '--host', '127.0.0.1', '--log-level', 'warn'];

/** One process, both roles, seeded with `livelink init` (the demo pair) plus an organization nobody's key belongs to. */
async function startBothRoles(): Promise<Setup> {
  const data = freshDir('both');
  const seed = new Seeder(repoRoot, data);
  const { source, target } = await seed.init();
  const otherOrg = await seed.createOrg('Conformance Other Organization');
  const projectName = 'Demo Project';
  const projectId = await seed.projectIdByName(source.orgId, projectName);
  const migrationHost = await seed.firstMigrationHost(projectId);
  const keys = await seedProbeKeys(seed, seed, source, target);
  const fuzzResources = await seedFuzzResources(seed, seed, source.orgId, target.orgId, projectId);
  const server = await startLivelink(
    repoRoot,
    [...serveFlags, '--role', 'both', '--data', data],
    join(workDir, 'logs', 'both.log'),
    serverEnv(),
  );
  return {
    fixture: {
      setup: 'both',
      sourceUrl: server.url,
      targetUrl: server.url,
      source,
      target,
      sourceOtherOrg: otherOrg,
      targetOtherOrg: otherOrg,
      projectId,
      projectName,
      migrationHost,
      targetProjectId: fuzzResources.targetProjectId,
      ...keys,
    },
    servers: [server],
    sourceSchema: join(repoRoot, 'openapi.json'),
    targetSchema: join(repoRoot, 'openapi.json'),
    fuzzResources,
  };
}

/** A target process and a source process pointed at it, each with its own data folder, seeded org by org. */
async function startSplitRoles(): Promise<Setup> {
  const targetData = freshDir('split-target');
  const targetSeed = new Seeder(repoRoot, targetData);
  const target = await targetSeed.createOwnerKey(await targetSeed.createOrg('Conformance Atlas Organization'));
  const targetOtherOrg = await targetSeed.createOrg('Conformance Other Atlas Organization');

  const sourceData = freshDir('split-source');
  const sourceSeed = new Seeder(repoRoot, sourceData);
  const source = await sourceSeed.createOwnerKey(await sourceSeed.createOrg('Conformance Ops Manager Organization'));
  const sourceOtherOrg = await sourceSeed.createOrg('Conformance Other Ops Manager Organization');
  const projectName = 'Migration Project';
  const projectId = await sourceSeed.createProject(source.orgId, projectName);
  await sourceSeed.createDeployment(projectId, 'rs-conformance');
  const migrationHost = 'mh1.conformance.internal';
  await sourceSeed.addMigrationHost(projectId, migrationHost);
  const keys = await seedProbeKeys(sourceSeed, targetSeed, source, target);
  const fuzzResources = await seedFuzzResources(sourceSeed, targetSeed, source.orgId, target.orgId, projectId);

  const servers: RunningServer[] = [];
  try {
    const targetServer = await startLivelink(
      repoRoot,
      [...serveFlags, '--role', 'target', '--data', targetData],
      join(workDir, 'logs', 'split-target.log'),
      serverEnv(),
    );
    servers.push(targetServer);
    const sourceServer = await startLivelink(
      repoRoot,
      [...serveFlags, '--role', 'source', '--target-url', targetServer.url, '--data', sourceData],
      join(workDir, 'logs', 'split-source.log'),
      serverEnv(),
    );
    servers.push(sourceServer);
    return {
      fixture: {
        setup: 'split',
        sourceUrl: sourceServer.url,
        targetUrl: targetServer.url,
        source,
        target,
        sourceOtherOrg,
        targetOtherOrg,
        projectId,
        projectName,
        migrationHost,
        targetProjectId: fuzzResources.targetProjectId,
        ...keys,
      },
      servers,
      sourceSchema: `${sourceServer.url}/openapi.json`,
      targetSchema: `${targetServer.url}/openapi.json`,
      fuzzResources,
    };
  } catch (error) {
    for (const server of servers) await server.stop();
    throw error;
  }
}

async function runClientProgram(
  setup: string,
  program: string,
  command: string,
  args: string[],
  env: Record<string, string>,
): Promise<Check[]> {
  step(`[${setup}] ${program}`);
  const result = await runCommand(command, args, { env: { ...process.env, ...env }, timeoutMs: 240_000 });
  return parseClientOutput(setup, program, result.stdout, result.timedOut ? null : result.exitCode, result.stderr);
}

/** Every operation (METHOD /path) of an OpenAPI document, from a file or from the server. */
async function operationsOf(schema: string): Promise<string[]> {
  const text = schema.startsWith('http') ? await (await fetch(schema)).text() : readFileSync(schema, 'utf8');
  const document = JSON.parse(text) as { paths?: Record<string, Record<string, unknown>> };
  const methods = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace']);
  return Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
    Object.keys(item)
      .filter((method) => methods.has(method))
      .map((method) => `${method.toUpperCase()} ${path}`),
  );
}

async function fuzz(setup: Setup): Promise<Check[]> {
  const { fixture, fuzzResources: resources } = setup;
  const rows: Check[] = [];
  const tested = new Set<string>();
  // The source's own resources; a pass of the target replaces orgId and groupId with the target's.
  const sourceParameters: FuzzParameters = {
    orgId: fixture.source.orgId,
    groupId: fixture.projectId,
    sourceOrgId: fixture.source.orgId,
    sourceGroupId: fixture.projectId,
    clusterName: resources.clusterName,
    hostname: resources.migrationHost.hostname,
    apiKeyId: resources.sourceSpareKeyId,
  };
  const targetParameters: FuzzParameters = {
    ...sourceParameters,
    orgId: fixture.target.orgId,
    groupId: resources.targetProjectId,
    apiKeyId: resources.targetSpareKeyId,
  };
  const run = async (pass: FuzzPass, selector = pass.name) => {
    if (!selected(selector)) return;
    step(`[${fixture.setup}] schemathesis pass ${pass.name} (${fuzzSettings.examples} examples per operation, seed ${fuzzSettings.seed})`);
    const outcome = await runFuzzPass(fixture.setup, pass, fuzzSettings);
    rows.push(...outcome.rows);
    outcome.tested.forEach((operation) => tested.add(operation));
  };
  const failed = (operation: string, expected: string, got: string) =>
    rows.push({ setup: fixture.setup, client: 'schemathesis', operation, expected, got, result: 'fail' });
  await run({
    name: 'source',
    keyLabel: 'source owner key',
    credential: { kind: 'digest', publicKey: fixture.source.publicKey, privateKey: fixture.source.privateKey },
    baseUrl: fixture.sourceUrl,
    schema: setup.sourceSchema,
    // A migration host's job routes admit only that host's key: the migration-host pass fuzzes them.
    includePathRegex: '^/(health|openapi\\.json)$|^/api/public/(?!.*/migrationHosts/)|^/api/atlas/v1\\.0/orgs/\\{orgId\\}/liveExport/',
    parameters: sourceParameters,
  });
  await run({
    name: 'target',
    keyLabel: 'target owner key',
    credential: { kind: 'digest', publicKey: fixture.target.publicKey, privateKey: fixture.target.privateKey },
    baseUrl: fixture.targetUrl,
    schema: setup.targetSchema,
    includePathRegex: '^/api/atlas/(?!v1\\.0/orgs/\\{orgId\\}/liveExport/)(?!.*/sourceOrganizations/)',
    parameters: targetParameters,
  });
  // The relay and inventory endpoints answer only the API key embedded in a link-token, and the relay
  // only for a source organization that pushed under it. The target pass deleted the organization's
  // links (and their keys), so the token is made now, and the source connects with it as in the flow.
  if (['migration-host', 'relay', 'inventory'].some(selected)) await linkedPasses();
  await controlPasses();
  rows.push(await everyOperationFuzzed(setup, tested));
  return rows;

  async function linkedPasses(): Promise<void> {
    const token = await createLinkTokenWithCurl(fixture, []);
    const embedded = decodeLinkToken(token);
    if (embedded === undefined) {
      failed('pass relay and inventory: link-token key', 'a link-token to take the key from', `no decodable token (${token.slice(0, 60)})`);
    } else {
      const connected = await connectSourceWithCurl(fixture, token);
      if (connected !== '201 SYNCED') {
        failed('pass relay and inventory: the source connects with the token', '201 SYNCED', connected);
      }
      // The host's calls go through its source, which relays them over the link just made.
      await run({
        name: 'migration-host',
        keyLabel: 'migration host key',
        credential: { kind: 'digest', publicKey: resources.migrationHost.publicKey, privateKey: resources.migrationHost.privateKey },
        baseUrl: fixture.sourceUrl,
        schema: setup.sourceSchema,
        includePathRegex: '^/api/public/v1\\.0/groups/\\{groupId\\}/migrationHosts/',
        parameters: sourceParameters,
      });
      // Before the inventory pass, whose DELETE removes what the source pushed (and with it the relay's admission).
      await run({
        name: 'relay',
        keyLabel: 'link-token key',
        credential: { kind: 'digest', publicKey: embedded.publicApiKey, privateKey: embedded.privateApiKey },
        baseUrl: fixture.targetUrl,
        schema: setup.targetSchema,
        includePathRegex: '/sourceOrganizations/\\{sourceOrgId\\}/',
        parameters: targetParameters,
      });
      await run({
        name: 'inventory',
        keyLabel: 'link-token key',
        credential: { kind: 'digest', publicKey: embedded.publicApiKey, privateKey: embedded.privateApiKey },
        baseUrl: fixture.targetUrl,
        schema: setup.targetSchema,
        includePathRegex: '/sourceOrganizations/\\{sourceOrgId\\}$',
        parameters: targetParameters,
      });
      await disconnectSourceWithCurl(fixture);
    }
    await deleteLinkTokensWithCurl(fixture);
  }

  /**
   * Last, on each server: the rehearsal control API, with the servers' control token. Its stateful phase resets
   * the data to a snapshot (`init` by default), moves the clock and injects faults on the source's calls to the
   * target, so nothing runs after it but putting the clock back and clearing the faults.
   */
  async function controlPasses(): Promise<void> {
    if (!selected('control')) return;
    for (const server of setup.servers) {
      const name = setup.servers.length === 1 ? 'control' : `control-${server.role}`;
      const target = { setup: fixture.setup, url: server.url, token: controlToken };
      rows.push(await ensureInitSnapshot(repoRoot, target, name));
      await run(
        {
          name,
          keyLabel: 'control token',
          credential: { kind: 'bearer', token: controlToken },
          baseUrl: server.url,
          schema: server.role === 'target' ? setup.targetSchema : setup.sourceSchema,
          includePathRegex: `^${CONTROL_PREFIX}`,
          parameters: server.role === 'target' ? targetParameters : sourceParameters,
        },
        'control',
      );
      rows.push(await restoreAfterControlPass(repoRoot, target, name));
    }
  }
}

/** Every operation of the document(s), the rehearsal control API's too, must have been fuzzed by some pass. */
async function everyOperationFuzzed(setup: Setup, tested: ReadonlySet<string>): Promise<Check> {
  const documents = [...new Set([setup.sourceSchema, setup.targetSchema])];
  const all = new Set((await Promise.all(documents.map(operationsOf))).flat());
  const operation = `every operation of ${documents.length === 1 ? 'openapi.json' : 'the served openapi.json documents'} fuzzed`;
  const expected = `${all.size} of ${all.size}`;
  const check = { setup: setup.fixture.setup, client: 'schemathesis', operation, expected };
  if (only.length > 0) return { ...check, got: `not counted: LIVELINK_CONFORMANCE_ONLY=${only.join(',')}`, result: 'skip' };
  const untested = [...all].filter((each) => !tested.has(each)).sort();
  return {
    ...check,
    got:
      untested.length === 0
        ? `${all.size} of ${all.size}`
        : `${all.size - untested.length} of ${all.size}; not fuzzed: ${untested.join(', ')}`,
    result: untested.length === 0 ? 'pass' : 'fail',
  };
}

function decodeLinkToken(token: string): { publicApiKey: string; privateApiKey: string } | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { publicApiKey?: unknown; privateApiKey?: unknown };
    if (typeof parsed.publicApiKey === 'string' && typeof parsed.privateApiKey === 'string')
      return { publicApiKey: parsed.publicApiKey, privateApiKey: parsed.privateApiKey };
  } catch {
    return undefined;
  }
  return undefined;
}

async function runSetup(name: string, start: () => Promise<Setup>, tools: { mongocli: Installed; atlasCli: Installed }): Promise<Check[]> {
  step(`[${name}] seeding and starting livelink`);
  let setup: Setup;
  try {
    setup = await start();
  } catch (error) {
    return [
      {
        setup: name,
        client: 'livelink CLI',
        operation: 'seed and serve',
        expected: 'servers listening',
        got: (error as Error).message,
        result: 'fail',
      },
    ];
  }
  const { fixture } = setup;
  step(`[${name}] ${setup.servers.map((server) => `${server.role} at ${server.url} (pid ${server.pid})`).join(', ')}`);
  const rows: Check[] = [];
  try {
    if (selected('go')) rows.push(...(await runClientProgram(name, 'go program', goProgram, [], clientEnv(fixture, 'go'))));
    if (selected('python')) {
      rows.push(
        ...(await runClientProgram(
          name,
          'python program',
          join(workDir, 'venv', 'bin', 'python'),
          [join(conformanceDir, 'python', 'python_clients.py')],
          clientEnv(fixture, 'python'),
        )),
      );
    }
    if (selected('curl')) {
      step(`[${name}] curl`);
      rows.push(...(await runCurlFlow(fixture)));
    }
    if (selected('mongocli') && tools.mongocli.binary !== undefined) {
      step(`[${name}] mongocli`);
      const token = await createLinkTokenWithCurl(fixture, ['127.0.0.1']);
      rows.push(...(await runMongocli(fixture, tools.mongocli, token, workDir)));
      await deleteLinkTokensWithCurl(fixture);
    } else if (selected('mongocli')) {
      rows.push(...skipRows(name, tools.mongocli, MONGOCLI_OPERATIONS));
    }
    if (selected('atlas-cli') && tools.atlasCli.binary !== undefined) {
      step(`[${name}] Atlas CLI`);
      rows.push(...(await runAtlasCli(fixture, tools.atlasCli, workDir)));
    } else if (selected('atlas-cli')) {
      rows.push(...skipRows(name, tools.atlasCli, ATLAS_CLI_OPERATIONS));
    }
    rows.push(...(await fuzz(setup)));
  } finally {
    for (const server of [...setup.servers].reverse()) await server.stop();
    step(`[${name}] livelink stopped`);
  }
  return rows;
}

async function main(): Promise<number> {
  const started = Date.now();
  const interrupt = (signal: NodeJS.Signals) => {
    step(`${signal}: stopping every process this run started`);
    void stopAll().then(() => process.exit(130));
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  mkdirSync(join(workDir, 'logs'), { recursive: true });

  const tools = await install();
  const rows: Check[] = [];
  rows.push(...(await runSetup('both', startBothRoles, tools)));
  rows.push(...(await runSetup('split', startSplitRoles, tools)));

  const failed = rows.filter((row) => row.result === 'fail');
  const skipped = rows.filter((row) => row.result === 'skip');
  const passed = rows.filter((row) => row.result === 'pass');
  const report = [formatTable(rows), ...(failed.length > 0 ? [`\nFailures (full text):\n${formatFailures(rows)}`] : [])].join('\n');
  console.log(report);
  writeFileSync(join(workDir, 'last-run.txt'), `${report}\n`);
  const seconds = Math.round((Date.now() - started) / 1000);
  console.log(
    `\nSchemathesis' full output (a curl line per failing case): conformance/.work/reports/<setup>-<pass>/output.txt; server logs: conformance/.work/logs/; this table: conformance/.work/last-run.txt.`,
  );
  console.log(`Took ${seconds} s.`);
  console.log(`conformance: ${passed.length} passed, ${failed.length} failed, ${skipped.length} skipped`);
  return failed.length > 0 ? 1 : 0;
}

main()
  .then((code) => {
    process.exitCode = code;
  })
  .catch(async (error: unknown) => {
    process.stderr.write(`conformance: ${(error as Error).stack ?? String(error)}\n`);
    await stopAll();
    process.exitCode = 1;
  });
