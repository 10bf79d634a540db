import { apiErrors } from '../../http/api-error.js';
import type { Organization } from '../../features/organizations/organization.js';
import { DATA_OPTION, JSON_OPTION, UsageError, usage, type Command } from '../command.js';
import { flagSet, nameFlag, objectIdFlag, switchPair } from '../flags.js';
import { withLivelink } from '../management.js';
import { emit, fields, table, yesNo } from '../output.js';

export const orgCreateCommand: Command = {
  path: ['org', 'create'],
  summary: 'Create an organization',
  usage: usage({
    synopsis: 'org create --name NAME [--require-access-list] [--data DIR] [--json]',
    description: 'Creates an organization and prints it, with its id.',
    options: [
      ['--name NAME', 'organization name, 1 to 64 characters'],
      ['--require-access-list', 'every API key of the organization must have an IP access list'],
    ],
    json: true,
    examples: ['livelink org create --name "Acme Ops Manager"'],
  }),
  options: { name: { type: 'string' }, 'require-access-list': { type: 'boolean' }, ...DATA_OPTION, ...JSON_OPTION },
  async run({ values }, io) {
    const name = nameFlag(values, 'name');
    const requireAccessList = flagSet(values, 'require-access-list');
    const organization = await withLivelink(values, io, ({ services }) =>
      services.organizations.createOrganization(name, { requireAccessList }),
    );
    emit(io, values, organization, () => `Created organization ${organization.id}\n${describeOrganization(organization)}`);
    return 0;
  },
};

export const orgListCommand: Command = {
  path: ['org', 'list'],
  summary: 'List the organizations',
  usage: usage({
    synopsis: 'org list [--data DIR] [--json]',
    description: 'Lists every organization.',
    json: true,
  }),
  options: { ...DATA_OPTION, ...JSON_OPTION },
  async run({ values }, io) {
    const organizations = await withLivelink(values, io, ({ services }) => services.organizations.listOrganizations());
    emit(io, values, organizations, () =>
      table(
        ['ID', 'NAME', 'ACCESS LIST REQUIRED', 'CREATED'],
        organizations.map((o) => [o.id, o.name, yesNo(o.requireAccessList), o.createdAt]),
        'No organizations. Create one with `livelink org create --name NAME` or run `livelink init`.',
      ),
    );
    return 0;
  },
};

export const orgSetRequireAccessListCommand: Command = {
  path: ['org', 'set-require-access-list'],
  summary: "Turn an organization's 'Require IP Access List for Public API' on or off",
  usage: usage({
    synopsis: 'org set-require-access-list --org ID (--on | --off) [--data DIR] [--json]',
    description:
      "Sets Ops Manager's 'Require IP Access List for Public API' organization setting: with it on, a key\nwithout an access list is refused.",
    options: [
      ['--org ID', 'organization id (24 hex digits)'],
      ['--on', 'require an access list'],
      ['--off', 'do not require one'],
    ],
    json: true,
  }),
  options: { org: { type: 'string' }, on: { type: 'boolean' }, off: { type: 'boolean' }, ...DATA_OPTION, ...JSON_OPTION },
  async run({ values }, io) {
    const orgId = objectIdFlag(values, 'org');
    const required = switchPair(values, 'on', 'off');
    if (required === undefined) throw new UsageError('give --on or --off');
    const organization = await withLivelink(values, io, async ({ services }) => {
      await services.organizations.setRequireAccessList(orgId, required);
      const updated = await services.organizations.getOrganization(orgId);
      if (updated === undefined) throw apiErrors.orgNotFound(orgId);
      return updated;
    });
    emit(io, values, organization, () =>
      required
        ? `Organization ${orgId} now requires an IP access list on its API keys.`
        : `Organization ${orgId} no longer requires an IP access list on its API keys.`,
    );
    return 0;
  },
};

export const orgCommands: readonly Command[] = [orgCreateCommand, orgListCommand, orgSetRequireAccessListCommand];

function describeOrganization(organization: Organization): string {
  return fields([
    ['name', organization.name],
    ['access list required', yesNo(organization.requireAccessList)],
    ['created', organization.createdAt],
  ]);
}
