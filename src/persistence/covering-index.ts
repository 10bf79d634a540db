import type { CompiledQuery } from 'kysely';
import type { Dialect } from './migrations.js';

export { LINK_STATUS_INDEX, ORGANIZATION_READ_INDEX } from './migrations.js';

/**
 * On SQLite, makes a compiled read of `table` use `index` (INDEXED BY), so a read that the index covers
 * is one B-tree search instead of two; elsewhere returns the query as it is. SQLite's planner takes a
 * table's unique key index over a covering index on the same column, and Kysely has no INDEXED BY, so
 * the clause goes into the compiled SQL. It fails loudly rather than quietly reading the other way when
 * the query does not read `table` exactly once.
 */
export function readThrough<R>(dialect: Dialect, compiled: CompiledQuery<R>, table: string, index: string): CompiledQuery<R> {
  if (dialect !== 'sqlite') return compiled;
  const from = ` from "${table}"`;
  const at = compiled.sql.indexOf(from);
  if (at < 0 || compiled.sql.indexOf(from, at + 1) >= 0) throw new Error(`readThrough: the query does not read "${table}" once`);
  const end = at + from.length;
  return { ...compiled, sql: `${compiled.sql.slice(0, end)} indexed by "${index}"${compiled.sql.slice(end)}` };
}
