import { ClusterUnreachableError, type ClusterDescription } from '../../features/clusters/cluster.js';
import { isMongoDBVersion } from '../../features/organizations/organization.js';
import { CommandError, DATA_OPTION, JSON_OPTION, UsageError, usage, type Command } from '../command.js';
import { connectionStringFlag } from '../connection-string-flag.js';
import { flagSet, objectIdFlag, optionalString, requiredString } from '../flags.js';
import { withLivelink } from '../management.js';
import { emit, fields, table } from '../output.js';

/** What the CLI shows of a cluster: never its password. */
interface ClusterOutput {
  id: string;
  groupId: string;
  name: string;
  mongoDBVersion: string;
  createdAt: string;
  /** With the password masked as ****. */
  connectionString: string;
}

function output({ cluster, maskedConnectionString }: ClusterDescription): ClusterOutput {
  return { ...cluster, connectionString: maskedConnectionString };
}

const NAME_AND_PROJECT_HELP: readonly (readonly [string, string])[] = [
  ['--project ID', 'Atlas project id (24 hex digits)'],
  ['--name NAME', 'cluster name: letters, digits and hyphens, unique in the project'],
];

export const clusterCreateCommand: Command = {
  path: ['cluster', 'create'],
  summary: 'Create a destination cluster (a real MongoDB server) in an Atlas project',
  usage: usage({
    synopsis: 'cluster create --project ID --name NAME --connection-string URI [--no-check --mongodb-version V]\n[--data DIR] [--json]',
    description:
      "Creates a cluster of the target's Atlas project that points at a MongoDB server, for live migrations to copy\n" +
      "into. The server's version is read with buildInfo; a server that does not answer within 5 s is refused.\n" +
      'The connection string is kept sealed and shown back only with its password masked.',
    options: [
      ...NAME_AND_PROJECT_HELP,
      ['--connection-string URI', 'mongodb:// or mongodb+srv:// connection string, credentials included'],
      ['--no-check', 'do not connect (an offline set-up): store the version --mongodb-version gives'],
      ['--mongodb-version V', 'with --no-check: the MongoDB version, e.g. 8.0.4'],
    ],
    json: true,
    examples: [
      "livelink cluster create --project 65f0c0ffee0123456789abcd --name Cluster0 --connection-string 'mongodb://127.0.0.1:27018/?replicaSet=rs0'",
    ],
  }),
  options: {
    project: { type: 'string' },
    name: { type: 'string' },
    'connection-string': { type: 'string' },
    'no-check': { type: 'boolean' },
    'mongodb-version': { type: 'string' },
    ...DATA_OPTION,
    ...JSON_OPTION,
  },
  async run({ values }, io) {
    const projectId = objectIdFlag(values, 'project');
    const name = requiredString(values, 'name');
    const noCheck = flagSet(values, 'no-check');
    const version = optionalString(values, 'mongodb-version');
    if (noCheck && version === undefined)
      throw new UsageError('--no-check needs --mongodb-version: the version is not read from the server');
    if (!noCheck && version !== undefined)
      throw new UsageError('--mongodb-version is only for --no-check: the version is read from the server');
    if (version !== undefined && !isMongoDBVersion(version)) {
      throw new UsageError(`--mongodb-version must look like 8.0.4 (got ${JSON.stringify(version)})`);
    }
    const connectionString = await connectionStringFlag(values, 'connection-string');
    const created = await withLivelink(values, io, async ({ services }) => {
      try {
        return await services.clusters.create(projectId, {
          name,
          connectionString,
          ...(version === undefined ? {} : { mongoDBVersion: version }),
        });
      } catch (error) {
        if (error instanceof ClusterUnreachableError) {
          throw new CommandError(`${error.message}. Nothing was created (--no-check --mongodb-version V skips the check).`);
        }
        throw error;
      }
    });
    const shown = output(created);
    emit(io, values, shown, () =>
      [
        `Created cluster ${shown.name} (${shown.id}) in project ${shown.groupId}`,
        fields([
          ['MongoDB version', `${shown.mongoDBVersion}${noCheck ? ' (as given)' : ' (read from the server)'}`],
          ['connection string', shown.connectionString],
        ]),
      ].join('\n'),
    );
    return 0;
  },
};

export const clusterListCommand: Command = {
  path: ['cluster', 'list'],
  summary: "List an Atlas project's clusters",
  usage: usage({
    synopsis: 'cluster list --project ID [--data DIR] [--json]',
    description: "Lists an Atlas project's clusters by name, their connection strings with the passwords masked.",
    options: [['--project ID', 'Atlas project id (24 hex digits)']],
    json: true,
  }),
  options: { project: { type: 'string' }, ...DATA_OPTION, ...JSON_OPTION },
  async run({ values }, io) {
    const projectId = objectIdFlag(values, 'project');
    const clusters = (await withLivelink(values, io, ({ services }) => services.clusters.list(projectId))).map(output);
    emit(io, values, clusters, () =>
      table(
        ['NAME', 'ID', 'VERSION', 'CONNECTION STRING'],
        clusters.map((c) => [c.name, c.id, c.mongoDBVersion, c.connectionString]),
        `No clusters in project ${projectId}.`,
      ),
    );
    return 0;
  },
};

export const clusterDeleteCommand: Command = {
  path: ['cluster', 'delete'],
  summary: 'Delete a cluster from an Atlas project',
  usage: usage({
    synopsis: 'cluster delete --project ID --name NAME [--data DIR] [--json]',
    description: 'Forgets a cluster (the MongoDB server itself is left as it is). Fails (exit 1) when the project has no such cluster.',
    options: NAME_AND_PROJECT_HELP,
    json: true,
  }),
  options: { project: { type: 'string' }, name: { type: 'string' }, ...DATA_OPTION, ...JSON_OPTION },
  async run({ values }, io) {
    const projectId = objectIdFlag(values, 'project');
    const name = requiredString(values, 'name');
    await withLivelink(values, io, ({ services }) => services.clusters.delete(projectId, name));
    emit(io, values, { groupId: projectId, name }, () => `Deleted cluster ${name} from project ${projectId}.`);
    return 0;
  },
};

export const clusterCommands: readonly Command[] = [clusterCreateCommand, clusterListCommand, clusterDeleteCommand];
