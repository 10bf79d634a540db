import type { ParseArgsConfig } from 'node:util';

/** Where a command writes and what environment it sees: injected, so commands run in-process in tests. */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: Readonly<Record<string, string | undefined>>;
}

export type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** Parsed flag values, as node:util parseArgs returns them. */
export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface CommandArgs {
  values: OptionValues;
  /** The arguments besides the flags, one for each name in the command's `operands`. */
  operands: readonly string[];
}

/**
 * One command, in the shape of verdaccio's clipanion commands: the words that select it, a one-line
 * summary for the root usage, the full usage for `--help`, its flags, and `run()`, which returns the exit
 * code and writes only to the injected streams. `run()` may throw: the dispatcher turns a UsageError or
 * ConfigError into exit 2 and an ApiError or any other error into exit 1.
 */
export interface Command {
  path: string[];
  summary: string;
  usage: string;
  options: ParseArgsConfig['options'];
  /** The names of the arguments it takes besides its flags (FILE), all required; none when absent. */
  operands?: readonly string[];
  run(args: CommandArgs, io: CliIo): Promise<number>;
}

/** A mistake in the command line itself (exit 2). The message is one line and names the flag. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A run-time failure the services do not express as an ApiError (exit 1); the message is for people. */
export class CommandError extends Error {
  override readonly name = 'CommandError';
}

/**
 * Where the data is, on every command: `--data DIR` picks the SQLite database and the generated local
 * secrets; `--database-url` a PostgreSQL database, which wins over the data folder.
 */
export const DATA_OPTION = { data: { type: 'string' }, 'database-url': { type: 'string' } } as const satisfies OptionsConfig;
export const JSON_OPTION = { json: { type: 'boolean' } } as const satisfies OptionsConfig;

const DATA_HELP: readonly [string, string] = ['--data DIR', 'data folder (default ./data, or LIVELINK_DATA_DIR)'];
const DATABASE_HELP: readonly [string, string] = [
  '--database-url URL',
  'postgres:// URL shared by several nodes (LIVELINK_DATABASE_URL; needs LIVELINK_ENCRYPTION_KEY and LIVELINK_NONCE_KEY)',
];
const JSON_HELP: readonly [string, string] = ['--json', 'print JSON on stdout instead of text'];
const HELP_HELP: readonly [string, string] = ['-h, --help', 'show this help'];

export interface UsageSpec {
  /** The command line after `livelink`; a long one may be split with newlines. */
  synopsis: string;
  description: string;
  options?: readonly (readonly [string, string])[];
  /** Adds the --json line; every command that prints data has it. */
  json?: boolean;
  /** False for a command that keeps no data, and so takes neither --data nor --database-url (migration-host run). */
  data?: boolean;
  examples?: readonly string[];
}

/** Formats a command's `--help` text, so every command's usage reads the same way. */
export function usage(spec: UsageSpec): string {
  const options = [
    ...(spec.options ?? []),
    ...(spec.data === false ? [] : [DATA_HELP, DATABASE_HELP]),
    ...(spec.json === true ? [JSON_HELP] : []),
    HELP_HELP,
  ];
  const width = Math.max(...options.map(([flag]) => flag.length)) + 2;
  // Continuation lines of the synopsis line up after the command's words.
  const [first = '', ...more] = spec.synopsis.split('\n').map((line) => line.trim());
  const words = first.split(' ');
  const flagsAt = words.findIndex((word) => !/^[a-z][a-z-]*$/.test(word));
  const indent = ' '.repeat(`Usage: livelink ${words.slice(0, flagsAt === -1 ? words.length : flagsAt).join(' ')} `.length);
  const lines = [
    `Usage: livelink ${first}`,
    ...more.map((line) => `${indent}${line}`),
    '',
    spec.description,
    '',
    'Options:',
    ...options.map(([flag, text]) => `  ${flag.padEnd(width)}${text}`),
  ];
  if (spec.examples !== undefined && spec.examples.length > 0) {
    lines.push('', 'Examples:', ...spec.examples.map((example) => `  ${example}`));
  }
  return `${lines.join('\n')}\n`;
}
