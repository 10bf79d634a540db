import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { CommandError, DATA_OPTION, JSON_OPTION, UsageError, usage, type Command } from '../command.js';
import { requiredString } from '../flags.js';
import { withLivelink } from '../management.js';
import { emit } from '../output.js';

/** An online backup of the SQLite database, safe while livelink serves and writes. */
export const backupCommand: Command = {
  path: ['backup'],
  summary: 'Back the SQLite database up to a file, online',
  usage: usage({
    synopsis: 'backup --to FILE [--data DIR] [--json]',
    description:
      'Copies the SQLite database from one read snapshot (VACUUM INTO): the copy is consistent and holds every write\n' +
      'committed before the backup started, while servers go on serving. PostgreSQL: use pg_dump instead.',
    options: [['--to FILE', 'the backup file to create (must not exist)']],
    json: true,
    examples: ['livelink backup --to /backups/livelink-$(date +%F).sqlite'],
  }),
  options: { to: { type: 'string' }, ...DATA_OPTION, ...JSON_OPTION },
  async run({ values }, io) {
    const to = resolve(requiredString(values, 'to'));
    if (existsSync(to)) throw new UsageError(`--to ${to} exists already`);
    await withLivelink(values, io, async ({ database }) => {
      if (database.dialect !== 'sqlite') throw new CommandError('back PostgreSQL up with its own tools (pg_dump or a base backup)');
      await database.backup(to);
    });
    emit(io, values, { backup: to }, () => `Backed the database up to ${to}.`);
    return 0;
  },
};
