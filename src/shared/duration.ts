/**
 * Durations as people write them on a command line and in a JSON body: one or more whole numbers each
 * with a unit, largest first or not, e.g. `121h`, `1h30m`, `90s`, `5d`, `250ms`.
 */
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(?:\d{1,12}(?:ms|s|m|h|d))+$/;
const PART = /(\d+)(ms|s|m|h|d)/g;

export const DURATION_PATTERN = DURATION.source;

/** The duration in milliseconds; undefined when `text` is not one (or is too long to count exactly). */
export function parseDuration(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(PART)) total += Number(amount) * (UNIT_MS[unit ?? ''] ?? Number.NaN);
  return Number.isSafeInteger(total) ? total : undefined;
}

/** Milliseconds as the largest units that divide them: 435600000 → `121h`, 5400000 → `1h30m`, 0 → `0s`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let text = '';
  for (const [unit, size] of Object.entries(UNIT_MS).sort((a, b) => b[1] - a[1])) {
    if (rest >= size) {
      text += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return text;
}
