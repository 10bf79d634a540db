import { apiErrors } from '../../http/api-error.js';
import type { Livelink } from '../../app/livelink.js';
import { CommandError, DATA_OPTION, JSON_OPTION, UsageError, usage, type Command, type OptionValues } from '../command.js';
import { objectIdFlag, requiredString } from '../flags.js';
import { withLivelink } from '../management.js';
import { emit, fields, table } from '../output.js';
import { migrationHostRunCommand } from './migration-host-run.js';

/** The organization service's own hostname rule, checked before the database is opened. */
const HOSTNAME = /^[A-Za-z0-9.:-]{1,253}$/;

const HOST_OPTIONS = { project: { type: 'string' }, hostname: { type: 'string' }, ...DATA_OPTION, ...JSON_OPTION } as const;
const HOST_HELP: readonly (readonly [string, string])[] = [
  ['--project ID', 'project id (24 hex digits)'],
  ['--hostname H', 'host name of the migration host'],
];

export const migrationHostAddCommand: Command = {
  path: ['migration-host', 'add'],
  summary: 'Add a migration host to a project, with its API key (shown once)',
  usage: usage({
    synopsis: 'migration-host add --project ID --hostname H [--data DIR] [--json]',
    description:
      'Adds a migration host (the process that runs a live migration: livelink migration-host run) to a project\n' +
      'and creates its API key, which it authenticates with: role ORG_MIGRATION_HOST, bound to this host, it may\n' +
      "fetch and report this host's jobs and nothing else. The private key is printed once (--json too).\n" +
      'Adding a host that is there with its key changes nothing and prints no key: remove it and add it\n' +
      'again for a new one. A host added before hosts had keys gets its key.',
    options: HOST_HELP,
    json: true,
    examples: ['livelink migration-host add --project 65f0c0ffee0123456789abcd --hostname mh1.example.internal'],
  }),
  options: HOST_OPTIONS,
  async run({ values }, io) {
    const { projectId, hostname } = hostFlags(values);
    const added = await withLivelink(values, io, ({ services }) => services.migrationHosts.add(projectId, hostname));
    const key = added.apiKey === undefined ? null : { publicKey: added.apiKey.apiKey.publicKey, privateKey: added.apiKey.privateKey };
    emit(io, values, { projectId, hostname, apiKey: key }, () =>
      key === null
        ? `Migration host ${hostname} is in project ${projectId}, with its API key (not shown again).`
        : [
            `Migration host ${hostname} is in project ${projectId}. Its API key:`,
            fields([
              ['public key', key.publicKey],
              ['private key', key.privateKey],
            ]),
            'The private key will not be shown again: keep it now. Run the host with it:',
            `  LIVELINK_MIGRATION_HOST_KEY=${key.publicKey}:<private key> livelink migration-host run --source-url URL \\`,
            `    --group ${projectId} --hostname ${hostname} --state-dir DIR`,
          ].join('\n'),
    );
    return 0;
  },
};

export const migrationHostRemoveCommand: Command = {
  path: ['migration-host', 'remove'],
  summary: 'Remove a migration host from a project',
  usage: usage({
    synopsis: 'migration-host remove --project ID --hostname H [--data DIR] [--json]',
    description: 'Removes a migration host from a project, and deletes its API key. Fails (exit 1) when the project has no such host.',
    options: HOST_HELP,
    json: true,
  }),
  options: HOST_OPTIONS,
  async run({ values }, io) {
    const { projectId, hostname } = hostFlags(values);
    const removed = await withLivelink(values, io, async ({ services }) => {
      await requireProject(services, projectId);
      return services.migrationHosts.remove(projectId, hostname);
    });
    if (!removed) throw new CommandError(`project ${projectId} has no migration host ${hostname}.`);
    emit(io, values, { projectId, hostname }, () => `Removed migration host ${hostname} from project ${projectId}.`);
    return 0;
  },
};

export const migrationHostListCommand: Command = {
  path: ['migration-host', 'list'],
  summary: "List a project's migration hosts",
  usage: usage({
    synopsis: 'migration-host list --project ID [--data DIR] [--json]',
    description: "Lists a project's migration hosts by host name.",
    options: [['--project ID', 'project id (24 hex digits)']],
    json: true,
  }),
  options: { project: { type: 'string' }, ...DATA_OPTION, ...JSON_OPTION },
  async run({ values }, io) {
    const projectId = objectIdFlag(values, 'project');
    const hostnames = await withLivelink(values, io, async ({ services }) => {
      const project = await requireProject(services, projectId);
      // The inventory is the one read that returns a project's hosts.
      const inventory = await services.organizations.inventory(project.orgId);
      return inventory.projects.find((p) => p.project.id === projectId)?.migrationHosts ?? [];
    });
    const hosts = hostnames.map((hostname) => ({ projectId, hostname }));
    emit(io, values, hosts, () =>
      table(
        ['HOSTNAME'],
        hostnames.map((h) => [h]),
        `No migration hosts in project ${projectId}.`,
      ),
    );
    return 0;
  },
};

export const migrationHostCommands: readonly Command[] = [
  migrationHostAddCommand,
  migrationHostRemoveCommand,
  migrationHostListCommand,
  migrationHostRunCommand,
];

function hostFlags(values: OptionValues): { projectId: string; hostname: string } {
  const projectId = objectIdFlag(values, 'project');
  const hostname = requiredString(values, 'hostname');
  if (!HOSTNAME.test(hostname)) throw new UsageError(`--hostname is not a host name: ${JSON.stringify(hostname)}`);
  return { projectId, hostname };
}

async function requireProject(services: Livelink['services'], projectId: string): Promise<{ orgId: string }> {
  const project = await services.organizations.getProject(projectId);
  if (project === undefined) throw apiErrors.groupNotFound(projectId);
  return project;
}
