import { ConfigError } from '../config/config.js';
import { FixtureError } from '../features/fixtures/fixture.js';
import { ApiError } from '../http/api-error.js';
import { CommandError, UsageError, type CliIo, type Command } from './command.js';
import { apikeyCommands } from './commands/apikey.js';
import { backupCommand } from './commands/backup.js';
import { clusterCommands } from './commands/cluster.js';
import { controlCommands } from './commands/control.js';
import { deploymentCommands } from './commands/deployment.js';
import { fixturesCommands } from './commands/fixtures.js';
import { initCommand } from './commands/init.js';
import { migrationHostCommands } from './commands/migration-host.js';
import { orgCommands } from './commands/org.js';
import { projectCommands } from './commands/project.js';
import { rotateKeysCommand } from './commands/rotate-keys.js';
import { serveCommand } from './commands/serve.js';
import { startCommand } from './commands/start.js';
import { userCommands } from './commands/user.js';
import { parseFlags, wantsHelp } from './flags.js';

export type { CliIo } from './command.js';
export { capsYoungGeneration, runtimeV8Flags } from './v8-flags.js';
export { governYoungGeneration } from './young-generation-governor.js';

/** Every command, in the order the root usage lists them. */
export const commands: readonly Command[] = [
  startCommand,
  serveCommand,
  initCommand,
  ...orgCommands,
  ...projectCommands,
  ...deploymentCommands,
  ...migrationHostCommands,
  ...clusterCommands,
  ...apikeyCommands,
  ...userCommands,
  ...fixturesCommands,
  rotateKeysCommand,
  backupCommand,
  ...controlCommands,
];

const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;

/**
 * Runs one command line and returns the exit code: 0 success, 1 failure at run time, 2 usage error.
 * Writes only to `io`, never calls process.exit, so it runs in-process in tests. `serve` and `start`
 * resolve only once the server has stopped.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const first = argv[0];
  if (first === undefined) {
    io.stderr.write(rootUsage());
    return 2;
  }
  if (first === '--help' || first === '-h') {
    io.stdout.write(rootUsage());
    return 0;
  }
  // `livelink help org create` is `livelink org create --help`.
  if (first === 'help') return argv.length === 1 ? runCli(['--help'], io) : runCli([...argv.slice(1), '--help'], io);

  const command = findCommand(argv);
  if (command === undefined) return unknownCommand(argv, io);
  const rest = argv.slice(command.path.length);
  if (wantsHelp(rest)) {
    io.stdout.write(command.usage + subcommandsUsage(command));
    return 0;
  }
  try {
    const { values, operands } = parseFlags(rest, { ...command.options, ...HELP_OPTION }, command.operands);
    return await command.run({ values, operands }, io);
  } catch (error) {
    return report(error, command, io);
  }
}

function findCommand(argv: readonly string[]): Command | undefined {
  return [...commands].sort((a, b) => b.path.length - a.path.length).find((command) => command.path.every((word, i) => argv[i] === word));
}

/**
 * The words before any flag that name a group (`org`, `control`, `control migration`) without a known
 * subcommand get the group's list; anything else, the root usage. The longest group named wins, so that a
 * second-level group lists its own subcommands rather than being an unknown word of the first.
 */
function unknownCommand(argv: readonly string[], io: CliIo): number {
  const first = argv[0] ?? '';
  let depth = 0;
  while (depth < argv.length && !(argv[depth] ?? '').startsWith('-') && membersOf(argv.slice(0, depth + 1)).length > 0) depth++;
  const group = argv.slice(0, depth);
  const next = argv[depth];
  if (depth > 0 && (next === undefined || next.startsWith('-'))) {
    const members = membersOf(group);
    const name = group.join(' ');
    if (wantsHelp(argv.slice(depth))) {
      io.stdout.write(groupUsage(name, members));
      return 0;
    }
    const names = members.map((command) => command.path.slice(depth).join(' ')).join(', ');
    io.stderr.write(`livelink: ${name} needs a subcommand: ${names} (see livelink ${name} --help)\n`);
    return 2;
  }
  const words = [...group, next ?? ''].join(' ');
  if (first.startsWith('-')) io.stderr.write(`livelink: expected a command before ${first} (see livelink --help)\n`);
  else io.stderr.write(`livelink: unknown command ${JSON.stringify(words)} (see livelink --help)\n`);
  return 2;
}

/** The commands under a group: their path starts with the group's words and has more. */
function membersOf(group: readonly string[]): Command[] {
  return commands.filter((command) => command.path.length > group.length && group.every((word, i) => command.path[i] === word));
}

/** One line on stderr and the exit code for what a command threw. */
function report(error: unknown, command: Command, io: CliIo): number {
  const name = `livelink ${command.path.join(' ')}`;
  if (error instanceof UsageError) {
    io.stderr.write(`${name}: ${error.message} (see ${name} --help)\n`);
    return 2;
  }
  if (error instanceof ConfigError) {
    io.stderr.write(`${name}: ${error.message}\n`);
    return 2;
  }
  if (error instanceof ApiError) {
    io.stderr.write(`${name}: ${error.detail}\n`);
    return 1;
  }
  if (error instanceof FixtureError) {
    // One line a problem, unprefixed, so that editors and CI annotate the file's lines.
    io.stderr.write(`${name}: ${error.message}; nothing was changed\n${error.lines().join('\n')}\n`);
    return 1;
  }
  if (error instanceof CommandError) {
    io.stderr.write(`${name}: ${error.message}\n`);
    return 1;
  }
  io.stderr.write(`${name}: ${describe(error)}\n`);
  return 1;
}

/** An unexpected error's message, with its cause's (a failed migration names the SQLite error there). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message;
}

function commandList(list: readonly Command[]): string {
  const width = Math.max(...list.map((command) => command.path.join(' ').length)) + 2;
  return list.map((command) => `  ${command.path.join(' ').padEnd(width)}${command.summary}`).join('\n');
}

function rootUsage(): string {
  return [
    'Usage: livelink <command> [options]',
    '',
    "livelink imitates MongoDB Ops Manager's live-migration link API (the source) and Atlas's link-token API",
    '(the target). `npm start` runs `livelink start`: a demo pair on http://127.0.0.1:8080.',
    '',
    'Commands:',
    commandList(commands),
    '',
    'Every command takes --data DIR (or LIVELINK_DATA_DIR; default ./data) and --help; commands that print',
    'data take --json. Exit codes: 0 done, 1 failed, 2 wrong command line.',
    'Run `livelink <command> --help` for its options.',
    '',
  ].join('\n');
}

/** A command that is also a group (`control clock`, with `clock advance` and `clock reset`) names its subcommands after its own help. */
function subcommandsUsage(command: Command): string {
  const members = membersOf(command.path);
  if (members.length === 0) return '';
  const name = command.path.join(' ');
  return ['', 'Subcommands:', commandList(members), '', `Run \`livelink ${name} <subcommand> --help\` for their options.`, ''].join('\n');
}

function groupUsage(group: string, members: readonly Command[]): string {
  return [
    `Usage: livelink ${group} <subcommand> [options]`,
    '',
    'Subcommands:',
    commandList(members),
    '',
    `Run \`livelink ${group} <subcommand> --help\` for its options.`,
    '',
  ].join('\n');
}
