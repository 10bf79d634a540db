import { roleLabel, USER_ROLES, type User } from '../../features/users/user.js';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../../features/users/user-service.js';
import { apiErrors } from '../../http/api-error.js';
import { DATA_OPTION, JSON_OPTION, UsageError, usage, type CliIo, type Command } from '../command.js';
import { flagSet, objectIdFlag, optionalString, requiredString } from '../flags.js';
import { withLivelink } from '../management.js';
import { emit, table } from '../output.js';

/**
 * The CLI's streams, with standard input for `--password-stdin`. CliIo has none (no other command reads
 * it); the binary's process.stdin is the default, and tests pass their own.
 */
export interface CliIoWithStdin extends CliIo {
  stdin?: NodeJS.ReadableStream;
}

export const userCreateCommand: Command = {
  path: ['user', 'create'],
  summary: 'Create a user who signs in to the web pages',
  usage: usage({
    synopsis: 'user create --org ID --username NAME --role ROLE (--password-stdin | --password P) [--data DIR] [--json]',
    description:
      'Creates a user of one organization with one organization role, for the web pages (sign in at /login).\n' +
      `Roles: ${USER_ROLES.join(', ')}; only ${USER_ROLES[0]} may change the link. The password (${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH}\n` +
      'characters) is kept only as a scrypt hash. Prefer --password-stdin: a --password value is seen by\n' +
      'other users of the machine and kept in the shell history.',
    options: [
      ['--org ID', 'the organization (24 hex digits)'],
      ['--username NAME', 'letters, digits, . _ @ - (up to 50; stored in lower case)'],
      ['--role ROLE', USER_ROLES.join(', ')],
      ['--password-stdin', 'read the password from standard input (one line)'],
      ['--password P', 'the password on the command line'],
    ],
    json: true,
    examples: [
      'printf \'%s\' "$PASSWORD" | livelink user create --org 65f0c0ffee0123456789abcd --username ana --role ORG_OWNER --password-stdin',
    ],
  }),
  options: {
    org: { type: 'string' },
    username: { type: 'string' },
    role: { type: 'string' },
    'password-stdin': { type: 'boolean' },
    password: { type: 'string' },
    ...DATA_OPTION,
    ...JSON_OPTION,
  },
  async run({ values }, io) {
    const orgId = objectIdFlag(values, 'org');
    const username = requiredString(values, 'username');
    const role = requiredString(values, 'role');
    if (!(USER_ROLES as readonly string[]).includes(role))
      throw new UsageError(`--role must be one of ${USER_ROLES.join(', ')} (got ${JSON.stringify(role)})`);
    const fromStdin = flagSet(values, 'password-stdin');
    const given = optionalString(values, 'password');
    if (fromStdin && given !== undefined) throw new UsageError('--password and --password-stdin cannot be used together');
    if (!fromStdin && given === undefined) throw new UsageError('give --password-stdin or --password P');
    const password = given ?? (await readPassword((io as CliIoWithStdin).stdin ?? process.stdin));

    const user = await withLivelink(values, io, ({ services }) => services.users.create({ orgId, username, role, password }));
    emit(io, values, userJson(user), () => `Created user ${user.username} (${roleLabel(user.role)}) in organization ${user.orgId}`);
    return 0;
  },
};

export const userListCommand: Command = {
  path: ['user', 'list'],
  summary: "List an organization's users",
  usage: usage({
    synopsis: 'user list --org ID [--data DIR] [--json]',
    description: 'Lists the users of an organization, without their passwords (livelink keeps only hashes).',
    options: [['--org ID', 'the organization (24 hex digits)']],
    json: true,
  }),
  options: { org: { type: 'string' }, ...DATA_OPTION, ...JSON_OPTION },
  async run({ values }, io) {
    const orgId = objectIdFlag(values, 'org');
    const users = await withLivelink(values, io, async ({ services }) => {
      if ((await services.organizations.getOrganization(orgId)) === undefined) throw apiErrors.orgNotFound(orgId);
      return services.users.list(orgId);
    });
    emit(io, values, users.map(userJson), () =>
      table(
        ['ID', 'USERNAME', 'ROLE', 'CREATED'],
        users.map((u) => [u.id, u.username, u.role, u.createdAt]),
        `No users in organization ${orgId}.`,
      ),
    );
    return 0;
  },
};

export const userCommands: readonly Command[] = [userCreateCommand, userListCommand];

function userJson(user: User): User {
  return { id: user.id, orgId: user.orgId, username: user.username, role: user.role, createdAt: user.createdAt };
}

/** The first line of standard input (what `printf`, `echo` or a password manager pipe in). */
async function readPassword(stdin: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stdin) {
    text += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
    if (text.length > 4 * MAX_PASSWORD_LENGTH || text.includes('\n')) break;
  }
  const line = text.split(/\r?\n/)[0] ?? '';
  if (line === '') throw new UsageError('--password-stdin read no password');
  return line;
}
