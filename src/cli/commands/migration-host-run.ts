import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pino } from 'pino';
import { usage, UsageError, type Command, type OptionValues } from '../command.js';
import { objectIdFlag, optionalString, requiredString } from '../flags.js';

/** The organization service's hostname rule (as `migration-host add` checks it). */
const HOSTNAME = /^[A-Za-z0-9.:-]{1,253}$/;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const KEY_ENV = 'LIVELINK_MIGRATION_HOST_KEY';

/**
 * `livelink migration-host run`: the migration host process. It keeps no database, so unlike the other
 * commands it takes no --data: it may run on another machine, and talks to its source livelink only.
 * The command reads its flags; the process itself is src/features/migration-hosts.
 */
export const migrationHostRunCommand: Command = {
  path: ['migration-host', 'run'],
  summary: 'Run a migration host: fetch its jobs from the source and run them',
  usage: usage({
    synopsis:
      'migration-host run --source-url URL --group ID --hostname H [--key PUBLIC:PRIVATE] --state-dir DIR\n' +
      '[--poll-interval SECONDS] [--batch-size N] [--mongodb-timeout SECONDS] [--source-ca FILE] [--log-level L]',
    description:
      'Runs the migration host named --hostname of source project --group, as its own process (it may run on\n' +
      'another machine): every poll interval it asks the source livelink for its job, with digest\n' +
      "authentication as the host's own API key (the one `migration-host add` printed). A validation job is\n" +
      'checked and reported; a migration job copies the source deployment into the destination cluster and\n' +
      'then applies its changes until cutover, reporting progress every second. Checkpoints are kept in\n' +
      '--state-dir, one file a migration: killed and started again, it goes on where it was.\n' +
      `The key: --key or ${KEY_ENV} (PUBLIC:PRIVATE; the variable keeps it out of the process list).\n` +
      'Logs go to stdout as JSON lines. SIGTERM or SIGINT stops it at the next batch, checkpoints kept.',
    options: [
      ['--source-url URL', 'base URL of the source (Ops Manager) livelink; the host calls nothing else'],
      ['--group ID', 'the source project the host belongs to (24 hex digits)'],
      ['--hostname H', 'the host name it was added with (livelink migration-host add)'],
      ['--key PUBLIC:PRIVATE', `the host's API key (or ${KEY_ENV})`],
      ['--state-dir DIR', 'where the checkpoints are kept'],
      ['--poll-interval SECONDS', 'between two asks for the job (default 1)'],
      ['--batch-size N', 'documents a copied batch, changes an applied batch (default 1000)'],
      ['--mongodb-timeout SECONDS', 'how long an unreachable source or destination is waited for (default 30)'],
      ['--source-ca FILE', "PEM CA certificates to trust for the source livelink's certificate"],
      ['--log-level L', 'fatal, error, warn, info, debug, trace or silent (default info)'],
    ],
    data: false,
    examples: [
      `${KEY_ENV}=abcdefgh:01234567-89ab-cdef-0123-456789abcdef \\\n` +
        '    livelink migration-host run --source-url https://om.example.com --group 65f0c0ffee0123456789abcd \\\n' +
        '    --hostname mh1.example.internal --state-dir /var/lib/livelink-migration-host',
    ],
  }),
  options: {
    'source-url': { type: 'string' },
    group: { type: 'string' },
    hostname: { type: 'string' },
    key: { type: 'string' },
    'state-dir': { type: 'string' },
    'poll-interval': { type: 'string' },
    'batch-size': { type: 'string' },
    'mongodb-timeout': { type: 'string' },
    'source-ca': { type: 'string' },
    'log-level': { type: 'string' },
  },
  async run({ values }, io) {
    const sourceUrl = sourceUrlFlag(values);
    const groupId = objectIdFlag(values, 'group');
    const hostname = requiredString(values, 'hostname');
    if (!HOSTNAME.test(hostname)) throw new UsageError(`--hostname is not a host name: ${JSON.stringify(hostname)}`);
    const { publicKey, privateKey } = keyOf(optionalString(values, 'key') ?? io.env[KEY_ENV]);
    const stateDir = resolve(requiredString(values, 'state-dir'));
    const pollIntervalMs = numberFlag(values, 'poll-interval', 1, 0.05, 3600) * 1000;
    const batchSize = numberFlag(values, 'batch-size', 1000, 1, 100_000);
    if (!Number.isInteger(batchSize)) throw new UsageError('--batch-size must be a whole number');
    const mongodbTimeoutMs = numberFlag(values, 'mongodb-timeout', 30, 1, 3600) * 1000;
    const caFile = optionalString(values, 'source-ca');
    let sourceCa: Buffer | undefined;
    if (caFile !== undefined) {
      try {
        sourceCa = readFileSync(caFile);
      } catch {
        throw new UsageError(`--source-ca: cannot read ${caFile}`);
      }
    }
    const logLevel = optionalString(values, 'log-level') ?? 'info';
    if (!LOG_LEVELS.includes(logLevel))
      throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')} (got ${JSON.stringify(logLevel)})`);

    // Loaded here, not with the CLI: the data plane and the MongoDB driver are needed by this command only.
    const { runMigrationHost } = await import('../../features/migration-hosts/migration-host-process.js');
    const stop = new AbortController();
    const onSignal = (): void => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      io.stderr.write('livelink migration-host: stopping at the next batch; checkpoints are kept\n');
      stop.abort();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    try {
      await runMigrationHost({
        sourceUrl,
        groupId,
        hostname,
        publicKey,
        privateKey,
        stateDir,
        pollIntervalMs,
        batchSize,
        mongodbTimeoutMs,
        sourceCa,
        logger: pino(
          { level: logLevel, redact: { paths: ['*.privateKey', '*.password', '*.connectionString'], censor: '[redacted]' } },
          io.stdout,
        ),
        signal: stop.signal,
      });
    } finally {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    }
    return 0;
  },
};

function sourceUrlFlag(values: OptionValues): string {
  const text = requiredString(values, 'source-url');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--source-url is not a URL: ${JSON.stringify(text)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UsageError('--source-url must be an http:// or https:// URL');
  if (url.username !== '' || url.password !== '') throw new UsageError('--source-url must not carry credentials: give the key with --key');
  if (url.search !== '' || url.hash !== '') throw new UsageError('--source-url is a base URL, without a query or fragment');
  return text.replace(/\/+$/, '');
}

function keyOf(value: string | undefined): { publicKey: string; privateKey: string } {
  if (value === undefined || value === '') throw new UsageError(`--key (or ${KEY_ENV}) is required`);
  const colon = value.indexOf(':');
  if (colon <= 0 || colon === value.length - 1) throw new UsageError(`the key must be PUBLIC:PRIVATE (--key or ${KEY_ENV})`);
  return { publicKey: value.slice(0, colon), privateKey: value.slice(colon + 1) };
}

/** A number from `min` to `max` (fractions allowed: a test polls faster than once a second). */
function numberFlag(values: OptionValues, flag: string, fallback: number, min: number, max: number): number {
  const text = optionalString(values, flag);
  if (text === undefined) return fallback;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`--${flag} must be a number from ${min} to ${max} (got ${JSON.stringify(text)})`);
  }
  return n;
}
