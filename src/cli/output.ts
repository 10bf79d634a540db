import type { CliIo, OptionValues } from './command.js';

/** Did the user ask for JSON? Commands print either JSON or text on stdout, never both. */
export function wantsJson(values: OptionValues): boolean {
  return values['json'] === true;
}

/**
 * Prints a command's result: `value` as indented JSON with --json (the stable, scriptable form), else the
 * text `text()` builds (for people; it may change between versions).
 */
export function emit(io: CliIo, values: OptionValues, value: unknown, text: () => string): void {
  if (wantsJson(values)) writeJson(io, value);
  else io.stdout.write(ensureNewline(text()));
}

export function writeJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Left-aligned columns separated by two spaces; `empty` when there are no rows. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[], empty: string): string {
  if (rows.length === 0) return empty;
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** `label  value` lines with the values aligned, for one record. */
export function fields(entries: readonly (readonly [string, string])[], indent = '  '): string {
  const width = Math.max(...entries.map(([label]) => label.length)) + 2;
  return entries.map(([label, value]) => `${indent}${label.padEnd(width)}${value}`).join('\n');
}

export function yesNo(value: boolean): string {
  return value ? 'yes' : 'no';
}

function ensureNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}
