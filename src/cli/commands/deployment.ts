import type { Livelink } from '../../app/livelink.js';
import { apiErrors } from '../../http/api-error.js';
import {
  AGENT_VERSION_PATTERN,
  FCV_PATTERN,
  isMongoDBVersion,
  type Deployment,
  type NewDeployment,
} from '../../features/organizations/organization.js';
import { DATA_OPTION, JSON_OPTION, UsageError, usage, type Command, type OptionValues, type OptionsConfig } from '../command.js';
import { optionalConnectionStringFlag } from '../connection-string-flag.js';
import {
  flagSet,
  nameFlag,
  objectIdFlag,
  optionalNameFlag,
  optionalString,
  requiredString,
  switchPair,
  wholeNumberFlag,
} from '../flags.js';
import { withLivelink } from '../management.js';
import { emit, fields, table, yesNo } from '../output.js';

type DeploymentChanges = Partial<Omit<NewDeployment, 'projectId'>>;

/**
 * What the CLI shows of a deployment: its facts, and whether it has a connection string, shown with its
 * password masked as **** (the string itself is sealed and never shown back in clear).
 */
interface DeploymentOutput extends Deployment {
  hasConnectionString: boolean;
  connectionString: string | null;
}

/** The deployments with their masked connection strings, read in the command's one opening of the data. */
async function withConnectionStrings(livelink: Livelink, projectId: string, deployments: Deployment[]): Promise<DeploymentOutput[]> {
  const masked = await livelink.services.organizations.maskedConnectionStrings(projectId);
  return deployments.map((deployment) => {
    const connectionString = masked.get(deployment.id) ?? null;
    return { ...deployment, hasConnectionString: connectionString !== null, connectionString };
  });
}

async function withConnectionString(livelink: Livelink, deployment: Deployment): Promise<DeploymentOutput> {
  const [shown] = await withConnectionStrings(livelink, deployment.projectId, [deployment]);
  if (shown === undefined) throw new Error('a deployment was lost between its change and its output');
  return shown;
}

const CONNECTION_STRING_HELP: readonly [string, string] = [
  '--connection-string URI',
  'how the migration host reaches it: mongodb:// or mongodb+srv://, credentials included (kept sealed)',
];

/** The facts Atlas's AvailableDeployment reports; the lengths are the ones the target accepts in a push. */
const FACT_OPTIONS = {
  'mongodb-version': { type: 'string' },
  fcv: { type: 'string' },
  sharded: { type: 'boolean' },
  shards: { type: 'string' },
  tls: { type: 'boolean' },
  unmanaged: { type: 'boolean' },
  'agent-version': { type: 'string' },
  'db-size-bytes': { type: 'string' },
  'oplog-size-mb': { type: 'string' },
} as const satisfies OptionsConfig;

const FACT_HELP: readonly (readonly [string, string])[] = [
  ['--mongodb-version V', 'MongoDB version, e.g. 6.0.14 or 7.0.12-ent'],
  ['--fcv V', 'feature compatibility version, e.g. 6.0'],
  ['--sharded', 'a sharded cluster (--shards implies it)'],
  ['--shards N', 'number of shards (1 or more)'],
  ['--tls', 'TLS is on'],
  ['--unmanaged', 'not managed by the automation agent'],
  ['--agent-version V', 'automation agent version, e.g. 12.0.33.7866-1'],
  ['--db-size-bytes N', 'data size in bytes'],
  ['--oplog-size-mb N', 'oplog size in MB'],
];

/** The switches only update has, each listed after its counterpart. */
const UPDATE_ONLY_HELP: Readonly<Record<string, readonly (readonly [string, string])[]>> = {
  '--sharded': [['--not-sharded', 'a replica set (clears the shard count)']],
  '--tls': [['--no-tls', 'TLS is off']],
  '--unmanaged': [['--managed', 'managed by the automation agent']],
};

export const deploymentCreateCommand: Command = {
  path: ['deployment', 'create'],
  summary: 'Create a deployment (cluster or replica set) in a project',
  usage: usage({
    synopsis:
      'deployment create --project ID --name NAME --mongodb-version V --fcv V [--sharded] [--shards N] [--tls] [--unmanaged]\n' +
      '[--agent-version V] [--db-size-bytes N] [--oplog-size-mb N] [--connection-string URI] [--data DIR] [--json]',
    description:
      'Creates a deployment with the facts a live migration reports to Atlas. Managed, not sharded and TLS off unless told.\n' +
      'Its connection string stays on the source: it is never pushed to the target nor shown back with its password.',
    options: [
      ['--project ID', 'project id (24 hex digits)'],
      ['--name NAME', 'deployment name, unique in the project'],
      ...FACT_HELP,
      CONNECTION_STRING_HELP,
    ],
    json: true,
    examples: ['livelink deployment create --project 65f0c0ffee0123456789abcd --name rs0 --mongodb-version 6.0.14 --fcv 6.0'],
  }),
  options: {
    project: { type: 'string' },
    name: { type: 'string' },
    ...FACT_OPTIONS,
    'connection-string': { type: 'string' },
    ...DATA_OPTION,
    ...JSON_OPTION,
  },
  async run({ values }, io) {
    const projectId = objectIdFlag(values, 'project');
    const name = nameFlag(values, 'name');
    const mongoDBVersion = mongoVersion(requiredString(values, 'mongodb-version'));
    const featureCompatibilityVersion = fcv(requiredString(values, 'fcv'));
    const facts = optionalFacts(values);
    const connectionString = await optionalConnectionStringFlag(values, 'connection-string');
    const deployment = await withLivelink(values, io, async (livelink) => {
      const created = await livelink.services.organizations.createDeployment(
        projectId,
        {
          name,
          mongoDBVersion,
          featureCompatibilityVersion,
          managed: true,
          sharded: false,
          shardsSize: null,
          tlsEnabled: false,
          agentVersion: null,
          dbSizeBytes: null,
          oplogSizeMB: null,
          ...facts,
        },
        connectionString,
      );
      return withConnectionString(livelink, created);
    });
    emit(io, values, deployment, () => `Created deployment ${deployment.id}\n${describeDeployment(deployment)}`);
    return 0;
  },
};

export const deploymentUpdateCommand: Command = {
  path: ['deployment', 'update'],
  summary: "Change a deployment's facts",
  usage: usage({
    synopsis:
      'deployment update --id ID [--name NAME] [--mongodb-version V] [--fcv V] [--sharded | --not-sharded] [--shards N]\n' +
      '[--tls | --no-tls] [--managed | --unmanaged] [--agent-version V] [--db-size-bytes N]\n' +
      '[--oplog-size-mb N] [--connection-string URI | --no-connection-string] [--data DIR] [--json]',
    description:
      'Changes only the facts given. A linked organization pushes the change to the target at its next sync.\n' +
      'The connection string is no part of what is pushed: changing it alone pushes nothing.',
    options: [
      ['--id ID', 'deployment id (24 hex digits)'],
      ['--name NAME', 'new name, unique in the project'],
      ...FACT_HELP.flatMap((line) => [line, ...(UPDATE_ONLY_HELP[line[0]] ?? [])]),
      CONNECTION_STRING_HELP,
      ['--no-connection-string', 'forget the connection string'],
    ],
    json: true,
    examples: ['livelink deployment update --id 65f0c0ffee0123456789abce --mongodb-version 7.0.12 --fcv 7.0'],
  }),
  options: {
    id: { type: 'string' },
    name: { type: 'string' },
    ...FACT_OPTIONS,
    'not-sharded': { type: 'boolean' },
    'no-tls': { type: 'boolean' },
    managed: { type: 'boolean' },
    'connection-string': { type: 'string' },
    'no-connection-string': { type: 'boolean' },
    ...DATA_OPTION,
    ...JSON_OPTION,
  },
  async run({ values }, io) {
    const id = objectIdFlag(values, 'id');
    if (optionalString(values, 'connection-string') !== undefined && flagSet(values, 'no-connection-string')) {
      throw new UsageError('--connection-string and --no-connection-string cannot be used together');
    }
    const connectionString = flagSet(values, 'no-connection-string')
      ? null
      : await optionalConnectionStringFlag(values, 'connection-string');
    const changes: DeploymentChanges = {};
    const name = optionalNameFlag(values, 'name');
    if (name !== undefined) changes.name = name;
    const version = optionalString(values, 'mongodb-version');
    if (version !== undefined) changes.mongoDBVersion = mongoVersion(version);
    const compatibility = optionalString(values, 'fcv');
    if (compatibility !== undefined) changes.featureCompatibilityVersion = fcv(compatibility);
    Object.assign(changes, optionalFacts(values));
    if (Object.keys(changes).length === 0 && connectionString === undefined) {
      throw new UsageError('nothing to change: give at least one flag besides --id');
    }

    const deployment = await withLivelink(values, io, async (livelink) =>
      withConnectionString(livelink, await livelink.services.organizations.updateDeployment(id, changes, connectionString)),
    );
    emit(io, values, deployment, () => `Updated deployment ${deployment.id}\n${describeDeployment(deployment)}`);
    return 0;
  },
};

export const deploymentListCommand: Command = {
  path: ['deployment', 'list'],
  summary: "List a project's deployments",
  usage: usage({
    synopsis: 'deployment list --project ID [--data DIR] [--json]',
    description: "Lists a project's deployments by name.",
    options: [['--project ID', 'project id (24 hex digits)']],
    json: true,
  }),
  options: { project: { type: 'string' }, ...DATA_OPTION, ...JSON_OPTION },
  async run({ values }, io) {
    const projectId = objectIdFlag(values, 'project');
    const deployments = await withLivelink(values, io, async (livelink) => {
      const { organizations } = livelink.services;
      if ((await organizations.getProject(projectId)) === undefined) throw apiErrors.groupNotFound(projectId);
      return withConnectionStrings(livelink, projectId, await organizations.listDeployments(projectId));
    });
    emit(io, values, deployments, () =>
      table(
        ['ID', 'NAME', 'VERSION', 'FCV', 'SHARDS', 'TLS', 'MANAGED', 'CONNECTION STRING'],
        deployments.map((d) => [
          d.id,
          d.name,
          d.mongoDBVersion,
          d.featureCompatibilityVersion,
          shardsText(d),
          yesNo(d.tlsEnabled),
          yesNo(d.managed),
          d.connectionString ?? '-',
        ]),
        `No deployments in project ${projectId}.`,
      ),
    );
    return 0;
  },
};

export const deploymentCommands: readonly Command[] = [deploymentCreateCommand, deploymentUpdateCommand, deploymentListCommand];

/** The optional facts shared by create and update; only the flags given appear in the result. */
function optionalFacts(values: OptionValues): DeploymentChanges {
  const facts: DeploymentChanges = {};
  const shards = wholeNumberFlag(values, 'shards', 1);
  const sharded = switchPair(values, 'sharded', 'not-sharded');
  if (shards !== undefined && sharded === false) throw new UsageError('--shards cannot be used with --not-sharded');
  if (shards !== undefined) {
    facts.sharded = true;
    facts.shardsSize = shards;
  } else if (sharded !== undefined) {
    facts.sharded = sharded;
    // A replica set has no shard count; a newly sharded deployment keeps whatever count it had (none on create).
    if (!sharded) facts.shardsSize = null;
  }
  const tls = switchPair(values, 'tls', 'no-tls');
  if (tls !== undefined) facts.tlsEnabled = tls;
  const managed = switchPair(values, 'managed', 'unmanaged');
  if (managed !== undefined) facts.managed = managed;
  const agentVersion = optionalString(values, 'agent-version');
  if (agentVersion !== undefined) {
    if (!AGENT_VERSION_PATTERN.test(agentVersion))
      throw new UsageError(`--agent-version is not a version: ${JSON.stringify(agentVersion)}`);
    facts.agentVersion = agentVersion;
  }
  const dbSizeBytes = wholeNumberFlag(values, 'db-size-bytes', 0);
  if (dbSizeBytes !== undefined) facts.dbSizeBytes = dbSizeBytes;
  const oplogSizeMB = wholeNumberFlag(values, 'oplog-size-mb', 0);
  if (oplogSizeMB !== undefined) facts.oplogSizeMB = oplogSizeMB;
  return facts;
}

function mongoVersion(value: string): string {
  if (!isMongoDBVersion(value)) {
    throw new UsageError(`--mongodb-version must look like 6.0.14 (got ${JSON.stringify(value)})`);
  }
  return value;
}

function fcv(value: string): string {
  if (!FCV_PATTERN.test(value)) throw new UsageError(`--fcv must look like 6.0 (got ${JSON.stringify(value)})`);
  return value;
}

function shardsText(deployment: Deployment): string {
  if (!deployment.sharded) return '-';
  return deployment.shardsSize === null ? 'yes' : String(deployment.shardsSize);
}

function describeDeployment(deployment: DeploymentOutput): string {
  return fields([
    ['name', deployment.name],
    ['project', deployment.projectId],
    ['MongoDB version', deployment.mongoDBVersion],
    ['FCV', deployment.featureCompatibilityVersion],
    ['sharded', deployment.sharded ? `yes (${deployment.shardsSize ?? 'shard count unknown'} shards)` : 'no'],
    ['TLS', yesNo(deployment.tlsEnabled)],
    ['managed', yesNo(deployment.managed)],
    ['agent version', deployment.agentVersion ?? '-'],
    ['data size (bytes)', deployment.dbSizeBytes === null ? '-' : String(deployment.dbSizeBytes)],
    ['oplog size (MB)', deployment.oplogSizeMB === null ? '-' : String(deployment.oplogSizeMB)],
    ['connection string', deployment.connectionString ?? '-'],
  ]);
}
