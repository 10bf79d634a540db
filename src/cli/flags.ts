import { parseArgs } from 'node:util';
import { canonicalAccessListEntry } from '../shared/access-list.js';
import { UsageError, type OptionsConfig, type OptionValues } from './command.js';

/**
 * Parses a command's flags. parseArgs runs non-strict with tokens so that every mistake gets a short
 * message naming the flag (parseArgs' own strict errors are long and sometimes name no flag), and so that
 * `--name --json` is refused instead of naming something "--json". `operands` names the arguments the
 * command takes besides its flags (`fixtures apply FILE`), all required; any other is refused.
 */
export function parseFlags(
  argv: readonly string[],
  options: OptionsConfig,
  operands: readonly string[] = [],
): { values: OptionValues; operands: string[] } {
  const { values, tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  const given: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'option-terminator') continue;
    if (token.kind === 'positional') {
      if (given.length === operands.length) throw new UsageError(`unexpected argument ${JSON.stringify(token.value)}`);
      given.push(token.value);
      continue;
    }
    const declared = options[token.name];
    if (declared === undefined) throw new UsageError(`unknown option ${token.rawName}`);
    if (declared.type === 'string' && (token.value === undefined || (token.inlineValue !== true && token.value.startsWith('-')))) {
      throw new UsageError(`${token.rawName} needs a value`);
    }
    if (declared.type === 'boolean' && token.value !== undefined) throw new UsageError(`${token.rawName} takes no value`);
  }
  const missing = operands[given.length];
  if (missing !== undefined) throw new UsageError(`${missing} is required`);
  return { values, operands: given };
}

/** Is `--help` or `-h` among the flags (before a `--`)? Help wins over any other mistake on the line. */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === '--') return false;
    if (arg === '--help' || arg === '-h') return true;
  }
  return false;
}

export function optionalString(values: OptionValues, flag: string): string | undefined {
  const value = values[flag];
  if (Array.isArray(value)) return lastString(value);
  return typeof value === 'string' ? value : undefined;
}

export function requiredString(values: OptionValues, flag: string): string {
  const value = optionalString(values, flag);
  if (value === undefined) throw new UsageError(`--${flag} is required`);
  return value;
}

export function stringList(values: OptionValues, flag: string): string[] {
  const value = values[flag];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
}

export function flagSet(values: OptionValues, flag: string): boolean {
  return values[flag] === true;
}

/** True, false or undefined from a `--on`/`--off`-style pair; both given is a usage error. */
export function switchPair(values: OptionValues, on: string, off: string): boolean | undefined {
  if (flagSet(values, on) && flagSet(values, off)) throw new UsageError(`--${on} and --${off} cannot be used together`);
  if (flagSet(values, on)) return true;
  if (flagSet(values, off)) return false;
  return undefined;
}

/** Ids are ObjectIds; checking the shape first turns a typo into exit 2 rather than a "not found". */
export function objectIdFlag(values: OptionValues, flag: string): string {
  const value = requiredString(values, flag);
  if (!/^[0-9a-fA-F]{24}$/.test(value)) throw new UsageError(`--${flag} must be an id of 24 hex digits (got ${JSON.stringify(value)})`);
  return value.toLowerCase();
}

export function wholeNumberFlag(values: OptionValues, flag: string, min: number): number | undefined {
  const value = optionalString(values, flag);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n))
    throw new UsageError(`--${flag} must be a whole number (got ${JSON.stringify(value)})`);
  if (n < min) throw new UsageError(`--${flag} must be at least ${min} (got ${n})`);
  return n;
}

/** Names as the organization service accepts them (1 to 64 characters once trimmed), checked up front. */
export function nameFlag(values: OptionValues, flag: string): string {
  return checkName(requiredString(values, flag), flag);
}

export function optionalNameFlag(values: OptionValues, flag: string): string | undefined {
  const value = optionalString(values, flag);
  return value === undefined ? undefined : checkName(value, flag);
}

function checkName(value: string, flag: string): string {
  const trimmed = value.trim();
  if (trimmed.length === 0 || trimmed.length > 64) throw new UsageError(`--${flag} must have 1 to 64 characters (got ${trimmed.length})`);
  return trimmed;
}

/** Access-list entries from repeated flags, each possibly comma-separated, in canonical form. */
export function accessListFlag(values: OptionValues, flag: string): string[] {
  const entries = stringList(values, flag).flatMap((value) => value.split(',').map((entry) => entry.trim()));
  return entries.map((entry) => {
    const canonical = canonicalAccessListEntry(entry);
    if (canonical === undefined) throw new UsageError(`--${flag} is not an IP address or CIDR block: ${JSON.stringify(entry)}`);
    return canonical;
  });
}

function lastString(values: readonly (string | boolean)[]): string | undefined {
  for (let i = values.length - 1; i >= 0; i -= 1) {
    const value = values[i];
    if (typeof value === 'string') return value;
  }
  return undefined;
}
