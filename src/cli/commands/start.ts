import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { createLivelink, type Livelink } from '../../app/livelink.js';
import { ClusterUnreachableError } from '../../features/clusters/cluster.js';
import { loadMongoDriver } from '../../shared/connection-string.js';
import { CommandError, UsageError, usage, type CliIo, type Command } from '../command.js';
import { optionalConnectionStringFlag } from '../connection-string-flag.js';
import { optionalString } from '../flags.js';
import type { LocalMongoServer } from '../local-mongodb-servers.js';
import {
  DEMO_ATLAS_PROJECT_NAME,
  DEMO_DEPLOYMENT,
  DEMO_PROJECT_NAME,
  DEMO_SOURCE_ORG_NAME,
  DEMO_TARGET_ORG_NAME,
  demoUserLines,
  ensureDemo,
  keepInitSnapshot,
  type DemoCredentials,
  type DemoSetup,
} from './init.js';
import { listeningLine, SERVER_HELP, SERVER_OPTIONS, serveUntilStopped, serverConfig } from './serve.js';

/** The demo's destination cluster, in the demo Atlas project (Atlas names a first cluster so). */
export const DEMO_CLUSTER_NAME = 'Cluster0';
/** What the demo seeds in the source, once, so a rehearsal has documents to copy. */
export const DEMO_DATABASE = 'livelink_demo';
export const DEMO_COLLECTION = 'customers';
const DEMO_DOCUMENTS = [
  { _id: 1, name: 'Ada Lovelace', city: 'London', orders: 3 },
  { _id: 2, name: 'Grace Hopper', city: 'New York', orders: 5 },
  { _id: 3, name: 'Katherine Johnson', city: 'Hampton', orders: 2 },
  { _id: 4, name: 'Margaret Hamilton', city: 'Boston', orders: 7 },
  { _id: 5, name: 'Radia Perlman', city: 'Portsmouth', orders: 1 },
];
const INSTALL_LINE = 'bash scripts/install-test-servers.sh';
const ATTACH_FLAGS =
  "--source-mongodb 'mongodb://127.0.0.1:27017/?replicaSet=rs0' --destination-mongodb 'mongodb://127.0.0.1:27018/?replicaSet=rs1'";
const V2_2024 = 'application/vnd.atlas.2024-05-30+json';
const V2_2023 = 'application/vnd.atlas.2023-01-01+json';

/** The two servers the demo migrates between, and whether livelink started them (and so stops them). */
export interface DemoMongoDB {
  source: string;
  destination: string;
  /** The servers livelink started; empty when the user gave their own. */
  started: readonly LocalMongoServer[];
}

/** What the banner prints of a wired rehearsal. */
export interface MigrationDemo {
  source: string;
  destination: string;
  /** Who runs the servers: livelink (SecantusDB) or the user. */
  servers: 'secantus' | 'own';
  hostLog: string;
  seeded: number;
}

export const startCommand: Command = {
  path: ['start'],
  summary: 'Set up the demo and serve both roles (what npm start runs)',
  usage: usage({
    synopsis:
      'start [--host H] [--port P] [--data DIR] [--target-url URL] [--sync-interval SECONDS] [--log-level L]\n' +
      '[--log-requests] [--trusted-proxy CIDR ...] [--source-mongodb URI --destination-mongodb URI]',
    description:
      'What `npm start` runs: `livelink init` on the data folder, then `livelink serve --role both`, then a banner\n' +
      "with the demo keys and ready-to-paste curl commands for the whole link flow, and the web pages' URL and demo\n" +
      'users. --role, if given, must be both.\n' +
      'With two MongoDB servers it also wires a live-migration rehearsal: the demo deployment points at the\n' +
      `source, a cluster ${DEMO_CLUSTER_NAME} of the Atlas project "${DEMO_ATLAS_PROJECT_NAME}" at the destination, a few documents\n` +
      `are seeded in the source (${DEMO_DATABASE}.${DEMO_COLLECTION}, once), and the demo migration host runs as a child\n` +
      '(livelink migration-host run, its state in <data>/migration-host, its log in <data>/migration-host.log).\n' +
      'The servers: --source-mongodb and --destination-mongodb (replica sets of your own), else two SecantusDB\n' +
      `instances started here when it is installed (${INSTALL_LINE}, or LIVELINK_SECANTUS_BIN),\n` +
      'on free loopback ports with their storage in <data>/mongodb/, stopped with livelink.',
    options: [
      ...SERVER_HELP,
      ['--source-mongodb URI', 'the replica set the demo deployment is (with --destination-mongodb)'],
      ['--destination-mongodb URI', 'the replica set the demo destination cluster is (with --source-mongodb)'],
    ],
  }),
  options: { ...SERVER_OPTIONS, 'source-mongodb': { type: 'string' }, 'destination-mongodb': { type: 'string' } },
  async run({ values }, io) {
    const role = optionalString(values, 'role');
    if (role !== undefined && role !== 'both')
      throw new UsageError('--role must be both with start (use `livelink serve --role ...` for one role)');
    const ownSource = await optionalConnectionStringFlag(values, 'source-mongodb');
    const ownDestination = await optionalConnectionStringFlag(values, 'destination-mongodb');
    if ((ownSource === undefined) !== (ownDestination === undefined))
      throw new UsageError('--source-mongodb and --destination-mongodb go together');
    const config = serverConfig(values, io.env, 'both');
    const livelink = await createLivelink(config);
    let setup: DemoSetup;
    let mongodb: DemoMongoDB | undefined;
    let demo: MigrationDemo | undefined;
    try {
      setup = await ensureDemo(livelink);
      if (ownSource !== undefined && ownDestination !== undefined) {
        mongodb = { source: ownSource, destination: ownDestination, started: [] };
      } else {
        mongodb = await startSecantusPair(livelink.config.dataDir, io);
      }
      if (mongodb !== undefined) {
        const seeded = await wireDemo(livelink, setup.credentials, mongodb);
        demo = {
          source: mongodb.source,
          destination: mongodb.destination,
          servers: mongodb.started.length > 0 ? 'secantus' : 'own',
          hostLog: join(livelink.config.dataDir, 'migration-host.log'),
          seeded,
        };
      }
      // After the wiring, so that a reset to init keeps the demo pointed at its servers.
      await keepInitSnapshot(livelink, setup.created);
    } catch (error) {
      await livelink.close();
      await Promise.all((mongodb?.started ?? []).map((server) => server.stop()));
      throw error;
    }
    let host: MigrationHostChild | undefined;
    try {
      return await serveUntilStopped(livelink, io, (url) => {
        if (demo !== undefined) host = startMigrationHost(url, setup.credentials, livelink.config.dataDir, demo.hostLog, io);
        io.stdout.write(`${listeningLine(url, config)}\n\n${banner(url, setup, demo)}`);
      });
    } finally {
      await host?.stop();
      await Promise.all((mongodb?.started ?? []).map((server) => server.stop()));
    }
  },
};

/**
 * Two SecantusDB servers under `<data>/mongodb/{source,destination}` when it is installed, else
 * undefined (and the banner says how to install it). Each keeps the port it had when it is free, so the
 * demo's connection strings stay the same from one start to the next.
 */
async function startSecantusPair(dataDir: string, io: CliIo): Promise<DemoMongoDB | undefined> {
  // Loaded only here: the servers' module loads the MongoDB driver, which a start without servers never needs.
  const servers = await import('../local-mongodb-servers.js');
  const bin = servers.findSecantus(io.env, process.cwd());
  if (bin === undefined) return undefined;
  const folders = [join(dataDir, 'mongodb', 'source'), join(dataDir, 'mongodb', 'destination')];
  const started = await Promise.allSettled(
    folders.map((folder) => servers.startLocalMongoServer({ bin, folder, preferredPort: servers.rememberedPort(folder) })),
  );
  const running = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failure = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  const [source, destination] = running;
  if (failure !== undefined || source === undefined || destination === undefined) {
    await Promise.all(running.map((server) => server.stop()));
    const reason: unknown = failure?.reason;
    throw new CommandError(`could not start SecantusDB (${bin}): ${reason instanceof Error ? reason.message : String(reason)}`);
  }
  servers.rememberPort(folders[0] ?? '', source.port);
  servers.rememberPort(folders[1] ?? '', destination.port);
  return { source: source.url, destination: destination.url, started: running };
}

/**
 * Points the demo deployment at the source and the demo cluster at the destination (made once, made
 * again only when the destination moved), and seeds the source once. Returns the documents seeded now.
 */
async function wireDemo(livelink: Livelink, credentials: DemoCredentials, mongodb: DemoMongoDB): Promise<number> {
  const { organizations, clusters } = livelink.services;
  const deployment = await organizations.findDeploymentByName(credentials.migrationHost.projectId, DEMO_DEPLOYMENT.name);
  if (deployment === undefined) throw new CommandError(`the demo deployment ${DEMO_DEPLOYMENT.name} is missing from ${DEMO_PROJECT_NAME}`);
  if ((await organizations.connectionStringOf(deployment.id)) !== mongodb.source) {
    await organizations.updateDeployment(deployment.id, {}, mongodb.source);
  }
  const atlasProject = credentials.atlasProject.projectId;
  const cluster = await clusters.findByName(atlasProject, DEMO_CLUSTER_NAME);
  if (cluster !== undefined && (await clusters.connectionString(cluster.id)) !== mongodb.destination) {
    await clusters.delete(atlasProject, DEMO_CLUSTER_NAME);
  }
  if (cluster === undefined || (await clusters.findByName(atlasProject, DEMO_CLUSTER_NAME)) === undefined) {
    try {
      await clusters.create(atlasProject, { name: DEMO_CLUSTER_NAME, connectionString: mongodb.destination });
    } catch (error) {
      if (error instanceof ClusterUnreachableError) throw new CommandError(`the destination MongoDB server: ${error.message}`);
      throw error;
    }
  }
  return seedSource(mongodb.source);
}

/** Inserts the demo documents when their collection is empty, so a restart never doubles them. */
async function seedSource(uri: string): Promise<number> {
  const { MongoClient } = await loadMongoDriver();
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5000, connectTimeoutMS: 5000 });
  try {
    const collection = client.db(DEMO_DATABASE).collection<{ _id: number }>(DEMO_COLLECTION);
    if ((await collection.countDocuments({}, { limit: 1 })) > 0) return 0;
    await collection.insertMany(DEMO_DOCUMENTS.map((document) => ({ ...document })));
    return DEMO_DOCUMENTS.length;
  } catch (error) {
    throw new CommandError(
      `the source MongoDB server did not take the demo documents: ${error instanceof Error ? error.message : String(error)}`,
    );
  } finally {
    await client.close();
  }
}

interface MigrationHostChild {
  stop(): Promise<void>;
}

/**
 * `livelink migration-host run` for the demo host, as a child process of this one: the same Node.js,
 * its flags and its entry script, so it runs the same livelink. Its key goes in the environment (never
 * the process list), its JSON log lines to `log`.
 */
function startMigrationHost(url: string, credentials: DemoCredentials, dataDir: string, log: string, io: CliIo): MigrationHostChild {
  const entry = process.argv[1];
  if (entry === undefined) throw new CommandError('cannot tell which program to run the migration host with');
  const { migrationHost } = credentials;
  const stateDir = join(dataDir, 'migration-host');
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(io.env)) if (value !== undefined) env[name] = value;
  env['LIVELINK_MIGRATION_HOST_KEY'] = `${migrationHost.publicKey}:${migrationHost.privateKey}`;
  const out = openSync(log, 'a', 0o600);
  let child: ChildProcess;
  try {
    child = spawn(
      process.execPath,
      [
        ...process.execArgv,
        entry,
        'migration-host',
        'run',
        ...['--source-url', url, '--group', migrationHost.projectId, '--hostname', migrationHost.hostname, '--state-dir', stateDir],
      ],
      { env, stdio: ['ignore', out, out] },
    );
  } finally {
    closeSync(out);
  }
  let stopping = false;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      if (!stopping) io.stderr.write(`livelink: the demo migration host stopped (${code ?? signal}); see ${log}\n`);
      resolve();
    }),
  );
  child.once('error', (error) => io.stderr.write(`livelink: the demo migration host did not start: ${error.message}\n`));
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  return {
    async stop() {
      stopping = true;
      process.removeListener('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

/** The demo keys, the link flow and the live-migration rehearsal, step by step, with every value filled in. */
export function banner(url: string, setup: DemoSetup, demo?: MigrationDemo): string {
  const { source, target, atlasProject, migrationHost } = setup.credentials;
  const sourceUser = `${source.publicKey}:${source.privateKey}`;
  const targetUser = `${target.publicKey}:${target.privateKey}`;
  const json = `-H 'Content-Type: application/json' -H 'Accept: application/json'`;
  const sourceLink = `${url}/api/public/v1.0/orgs/${source.orgId}/liveExport/migrationLink`;
  const migrations = `${url}/api/atlas/v2/groups/${atlasProject.projectId}/liveMigrations`;
  const width = Math.max(DEMO_SOURCE_ORG_NAME.length, DEMO_TARGET_ORG_NAME.length);
  const request = JSON.stringify({
    source: { clusterName: DEMO_DEPLOYMENT.name, groupId: migrationHost.projectId, managedAuthentication: true, ssl: false },
    destination: { clusterName: DEMO_CLUSTER_NAME, groupId: atlasProject.projectId, hostnameSchemaType: 'PUBLIC' },
    migrationHosts: [migrationHost.hostname],
    dropDestinationData: false,
  });
  const post = `curl --digest --user "${targetUser}" -H 'Content-Type: ${V2_2024}' -H 'Accept: ${V2_2024}' -X POST --data '${request}'`;
  const get = `curl --digest --user "${targetUser}" -H 'Accept: ${V2_2023}'`;
  const lines = [
    `Demo organizations (keys saved in ${setup.file}):`,
    `  source  ${DEMO_SOURCE_ORG_NAME.padEnd(width)}  ${source.orgId}  key ${sourceUser}`,
    `  target  ${DEMO_TARGET_ORG_NAME.padEnd(width)}  ${target.orgId}  key ${targetUser}`,
    '',
    '1. Create a link-token on the target (Atlas):',
    `   curl --digest --user "${targetUser}" ${json} -X POST --data '{"accessListIps":[]}' "${url}/api/atlas/v2/orgs/${target.orgId}/liveMigrations/linkTokens"`,
    '2. Link the source (Ops Manager) with it:',
    `   curl --digest --user "${sourceUser}" ${json} -X POST --data '{"linkToken":"<paste the linkToken here>"}' "${sourceLink}"`,
    '3. Check the link status:',
    `   curl --digest --user "${sourceUser}" "${sourceLink}/status?pretty=true"`,
    "4. See the source's projects on the target:",
    `   curl --digest --user "${targetUser}" -H 'Accept: application/json' "${url}/api/atlas/v2/orgs/${target.orgId}/liveMigrations/availableProjects?pretty=true"`,
  ];
  if (demo === undefined) {
    lines.push(
      '5. Delete the link:',
      `   curl --digest --user "${sourceUser}" -H 'Accept: application/json' -X DELETE "${sourceLink}"`,
      '',
      'Live migrations need two MongoDB servers (replica sets). Install SecantusDB, a MongoDB wire-protocol server, and start again:',
      `  ${INSTALL_LINE}`,
      'or attach replica sets of your own (see "Rehearse a live migration" in the README):',
      `  npm start -- ${ATTACH_FLAGS}`,
    );
  } else {
    lines.push(
      '',
      'Rehearse a live migration (after steps 1 and 2), both servers ' +
        (demo.servers === 'secantus' ? 'SecantusDB, started here:' : 'yours:'),
      `  source       ${DEMO_DEPLOYMENT.name} of ${DEMO_PROJECT_NAME} ${migrationHost.projectId}  ${demo.source}`,
      `  destination  ${DEMO_CLUSTER_NAME} of ${DEMO_ATLAS_PROJECT_NAME} ${atlasProject.projectId}  ${demo.destination}`,
      `  host         ${migrationHost.hostname}, running (its log: ${demo.hostLog})`,
      '5. Validate (the host checks both servers):',
      `   ${post} "${migrations}/validate"`,
      '6. The validation, until SUCCESS (or FAILED with errorMessage):',
      `   ${get} "${migrations}/validate/<validationId>?pretty=true"`,
      '7. Start the migration:',
      `   ${post} "${migrations}"`,
      '8. The migration, until readyForCutover is true (lagTimeSeconds is the lag); after the cutover, COMPLETE:',
      `   ${get} "${migrations}/<liveMigrationId>?pretty=true"`,
      '9. Stop writing to the source, then cut over (202 once every change is applied):',
      `   ${get} -X PUT "${migrations}/<liveMigrationId>/cutover"`,
      '10. Delete the link (refused while a migration is active):',
      `   curl --digest --user "${sourceUser}" -H 'Accept: application/json' -X DELETE "${sourceLink}"`,
    );
    lines.push(
      '',
      `The source holds ${DEMO_DATABASE}.${DEMO_COLLECTION}` + (demo.seeded > 0 ? ` (${demo.seeded} documents seeded now).` : '.'),
      'Again: the destination then holds the last copy, so send "dropDestinationData":true (it clears the destination).',
    );
  }
  lines.push(
    '',
    `Or click instead: sign in at ${url}/login with a demo user:`,
    ...demoUserLines(setup.credentials),
    '',
    'Stop with Ctrl-C.',
  );
  return `${lines.join('\n')}\n`;
}
