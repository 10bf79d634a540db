/**
 * One row of the conformance table: what a real client did against livelink, what was expected and
 * what it got. Every leg (Go, Python, curl, mongocli, Schemathesis) produces rows of this shape.
 */
export interface Check {
  setup: string;
  client: string;
  operation: string;
  expected: string;
  got: string;
  /** `skip` when the client could not be run here at all (the reason is in `got`). */
  result: 'pass' | 'fail' | 'skip';
}

/** The line a client program prints for each check: {"client","operation","expected","got","ok"}. */
interface ClientLine {
  client: string;
  operation: string;
  expected: string;
  got: string;
  ok: boolean;
}

function isClientLine(value: unknown): value is ClientLine {
  if (typeof value !== 'object' || value === null) return false;
  const line = value as Record<string, unknown>;
  return (
    typeof line['client'] === 'string' &&
    typeof line['operation'] === 'string' &&
    typeof line['expected'] === 'string' &&
    typeof line['got'] === 'string' &&
    typeof line['ok'] === 'boolean'
  );
}

/**
 * Turns a client program's stdout into rows. A line that is not a check, or a program that printed
 * no check, becomes a failing row: a client that crashed must not pass silently.
 */
export function parseClientOutput(setup: string, program: string, stdout: string, exitCode: number | null, stderr: string): Check[] {
  const rows: Check[] = [];
  for (const line of stdout.split('\n')) {
    if (line.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      parsed = undefined;
    }
    if (isClientLine(parsed)) {
      rows.push({
        setup,
        client: parsed.client,
        operation: parsed.operation,
        expected: parsed.expected,
        got: parsed.got,
        result: parsed.ok ? 'pass' : 'fail',
      });
    } else {
      rows.push({
        setup,
        client: program,
        operation: 'output line',
        expected: 'a JSON check line',
        got: line.slice(0, 300),
        result: 'fail',
      });
    }
  }
  const failed = rows.some((row) => row.result === 'fail');
  // Exit 1 with failing rows is the program's way to say "some check failed"; anything else is a crash.
  if (rows.length === 0 || (exitCode !== 0 && !(exitCode === 1 && failed))) {
    const tail = stderr.trim().split('\n').slice(-5).join(' | ');
    rows.push({
      setup,
      client: program,
      operation: 'run the program',
      expected: 'exit 0 (or 1 with failed checks)',
      got: `exit ${exitCode ?? 'signal'}: ${tail}`,
      result: 'fail',
    });
  }
  return rows;
}

function clip(text: string, width: number): string {
  const oneLine = text.replace(/\n/g, '\\n');
  return oneLine.length <= width ? oneLine : `${oneLine.slice(0, width - 1)}…`;
}

/** The table the run prints: setup, client, operation, expected, got, result; long cells clipped. */
export function formatTable(rows: readonly Check[]): string {
  const columns: { title: string; width: number; cell: (row: Check) => string }[] = [
    { title: 'setup', width: 12, cell: (row) => row.setup },
    { title: 'client', width: 34, cell: (row) => row.client },
    { title: 'operation', width: 58, cell: (row) => row.operation },
    { title: 'expected', width: 46, cell: (row) => row.expected },
    { title: 'got', width: 46, cell: (row) => row.got },
    { title: 'result', width: 6, cell: (row) => row.result.toUpperCase() },
  ];
  const widths = columns.map((column) =>
    Math.min(column.width, Math.max(column.title.length, ...rows.map((row) => clip(column.cell(row), column.width).length))),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join(' | ')
      .trimEnd();
  return [
    line(columns.map((column) => column.title)),
    widths.map((width) => '-'.repeat(width)).join('-+-'),
    ...rows.map((row) => line(columns.map((column, i) => clip(column.cell(row), widths[i] ?? column.width)))),
  ].join('\n');
}

/** Full text of every failing row (the table clips cells). */
export function formatFailures(rows: readonly Check[]): string {
  return rows
    .filter((row) => row.result === 'fail')
    .map((row, i) =>
      [`${i + 1}. [${row.setup}] ${row.client} — ${row.operation}`, `   expected: ${row.expected}`, `   got:      ${row.got}`].join('\n'),
    )
    .join('\n');
}
