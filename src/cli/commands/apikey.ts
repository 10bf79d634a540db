import { GLOBAL_ROLES, ORG_ROLES, type ApiKey, type Role } from '../../features/api-keys/api-key.js';
import { apiErrors } from '../../http/api-error.js';
import { CommandError, DATA_OPTION, JSON_OPTION, UsageError, usage, type Command, type OptionValues } from '../command.js';
import { accessListFlag, flagSet, objectIdFlag, optionalString, stringList } from '../flags.js';
import { withLivelink } from '../management.js';
import { emit, fields, table } from '../output.js';

/** Ops Manager's limit on an API key description. */
const MAX_DESCRIPTION = 250;

const SCOPE_HELP: readonly (readonly [string, string])[] = [
  ['--org ID', 'key of this organization (24 hex digits)'],
  ['--global', 'global key (administration of every organization)'],
];

export const apikeyCreateCommand: Command = {
  path: ['apikey', 'create'],
  summary: 'Create a programmatic API key (the private key is shown once)',
  usage: usage({
    synopsis:
      'apikey create (--org ID | --global) --role ROLE [--role ROLE ...] [--access-list IP_OR_CIDR ...] [--description TEXT] [--data DIR] [--json]',
    description:
      'Creates an API key and prints its public key and private key. livelink keeps only digest secrets\n' +
      'derived from the private key: it cannot be shown again.\n' +
      `Organization roles: ${ORG_ROLES.join(', ')}. Global roles: ${GLOBAL_ROLES.join(', ')}.`,
    options: [
      ...SCOPE_HELP,
      ['--role ROLE', 'a role (repeat for several)'],
      ['--access-list IP_OR_CIDR', 'an address or CIDR block the key may call from (repeat, or separate with commas)'],
      ['--description TEXT', `what the key is for (up to ${MAX_DESCRIPTION} characters)`],
    ],
    json: true,
    examples: [
      'livelink apikey create --org 65f0c0ffee0123456789abcd --role ORG_OWNER --access-list 203.0.113.0/24',
      'livelink apikey create --global --role GLOBAL_READ_ONLY --description "monitoring"',
    ],
  }),
  options: {
    org: { type: 'string' },
    global: { type: 'boolean' },
    role: { type: 'string', multiple: true },
    'access-list': { type: 'string', multiple: true },
    description: { type: 'string' },
    ...DATA_OPTION,
    ...JSON_OPTION,
  },
  async run({ values }, io) {
    const orgId = scopeFlags(values);
    const roles = roleFlags(values, orgId);
    const accessList = accessListFlag(values, 'access-list');
    const description = optionalString(values, 'description') ?? '';
    if (description.length > MAX_DESCRIPTION) throw new UsageError(`--description has more than ${MAX_DESCRIPTION} characters`);

    const created = await withLivelink(values, io, async ({ services }) => {
      // The key table references the organization; checking first gives the API's "not found" detail.
      if (orgId !== null && (await services.organizations.getOrganization(orgId)) === undefined) throw apiErrors.orgNotFound(orgId);
      return services.apiKeys.create({ orgId, description, roles, accessList });
    });
    const { apiKey, privateKey } = created;
    emit(
      io,
      values,
      { id: apiKey.id, publicKey: apiKey.publicKey, privateKey, orgId: apiKey.orgId, roles: apiKey.roles, accessList: apiKey.accessList },
      () =>
        [
          `Created API key ${apiKey.id}`,
          fields([
            ['organization', apiKey.orgId ?? '(global)'],
            ['roles', apiKey.roles.join(', ')],
            ['access list', accessListText(apiKey)],
            ['public key', apiKey.publicKey],
            ['private key', privateKey],
          ]),
          'The private key will not be shown again: keep it now.',
        ].join('\n'),
    );
    return 0;
  },
};

export const apikeyListCommand: Command = {
  path: ['apikey', 'list'],
  summary: "List an organization's (or the global) API keys",
  usage: usage({
    synopsis: 'apikey list (--org ID | --global) [--data DIR] [--json]',
    description: 'Lists API keys, without their private keys (livelink does not keep them).',
    options: SCOPE_HELP,
    json: true,
  }),
  options: { org: { type: 'string' }, global: { type: 'boolean' }, ...DATA_OPTION, ...JSON_OPTION },
  async run({ values }, io) {
    const orgId = scopeFlags(values);
    const keys = await withLivelink(values, io, async ({ services }) => {
      if (orgId !== null && (await services.organizations.getOrganization(orgId)) === undefined) throw apiErrors.orgNotFound(orgId);
      return services.apiKeys.list(orgId);
    });
    emit(io, values, keys, () =>
      table(
        ['ID', 'PUBLIC KEY', 'ROLES', 'ACCESS LIST', 'DESCRIPTION'],
        keys.map((k) => [k.id, k.publicKey, k.roles.join(','), accessListText(k), k.description]),
        orgId === null ? 'No global API keys.' : `No API keys in organization ${orgId}.`,
      ),
    );
    return 0;
  },
};

export const apikeySetAccessListCommand: Command = {
  path: ['apikey', 'set-access-list'],
  summary: "Replace an API key's IP access list",
  usage: usage({
    synopsis: 'apikey set-access-list --id ID [--access-list IP_OR_CIDR ...] [--data DIR] [--json]',
    description:
      "Replaces the key's access list with the entries given; with none, the key may call from anywhere\n(unless its organization requires an access list).",
    options: [
      ['--id ID', 'API key id (24 hex digits)'],
      ['--access-list IP_OR_CIDR', 'an address or CIDR block (repeat, or separate with commas)'],
    ],
    json: true,
    examples: ['livelink apikey set-access-list --id 65f0c0ffee0123456789abcf --access-list 203.0.113.10 --access-list 2001:db8::/32'],
  }),
  options: { id: { type: 'string' }, 'access-list': { type: 'string', multiple: true }, ...DATA_OPTION, ...JSON_OPTION },
  async run({ values }, io) {
    const id = objectIdFlag(values, 'id');
    const accessList = accessListFlag(values, 'access-list');
    const apiKey = await withLivelink(values, io, ({ services }) => services.apiKeys.setAccessList(id, accessList));
    if (apiKey === undefined) throw new CommandError(`No API key with ID ${id} exists.`);
    emit(io, values, apiKey, () => `API key ${apiKey.publicKey} (${apiKey.id}) access list: ${accessListText(apiKey)}`);
    return 0;
  },
};

export const apikeyCommands: readonly Command[] = [apikeyCreateCommand, apikeyListCommand, apikeySetAccessListCommand];

/** The organization id, or null for --global; exactly one of the two. */
function scopeFlags(values: OptionValues): string | null {
  const global = flagSet(values, 'global');
  const hasOrg = values['org'] !== undefined;
  if (global && hasOrg) throw new UsageError('--org and --global cannot be used together');
  if (global) return null;
  if (!hasOrg) throw new UsageError('give --org ID or --global');
  return objectIdFlag(values, 'org');
}

/** Roles that fit the scope: organization roles on an organization's key, global roles on a global key. */
function roleFlags(values: OptionValues, orgId: string | null): Role[] {
  const allowed: readonly Role[] = orgId === null ? GLOBAL_ROLES : ORG_ROLES;
  const given = stringList(values, 'role');
  if (given.length === 0) throw new UsageError('--role is required');
  const roles: Role[] = [];
  for (const value of given) {
    const role = allowed.find((r) => r === value);
    if (role === undefined) {
      throw new UsageError(
        `--role must be one of ${allowed.join(', ')} with ${orgId === null ? '--global' : '--org'} (got ${JSON.stringify(value)})`,
      );
    }
    if (!roles.includes(role)) roles.push(role);
  }
  return roles;
}

function accessListText(apiKey: ApiKey): string {
  return apiKey.accessList.length === 0 ? '(any address)' : apiKey.accessList.join(', ');
}
