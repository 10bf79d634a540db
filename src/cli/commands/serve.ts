import { createLivelink, type Livelink } from '../../app/livelink.js';
import { loadConfig, type Config, type ConfigInput } from '../../config/config.js';
import { readFixtureFile } from '../../features/fixtures/fixture-file.js';
import { DATA_OPTION, usage, type CliIo, type Command, type OptionValues, type OptionsConfig } from '../command.js';
import { optionalString } from '../flags.js';
import { describeReport } from './fixtures.js';
import { keepInitSnapshot } from './init.js';

/** The server's flags; their names are the ones loadConfig reads, so they pass through unchanged. */
export const SERVER_OPTIONS = {
  role: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  'target-url': { type: 'string' },
  'sync-interval': { type: 'string' },
  'log-level': { type: 'string' },
  'log-requests': { type: 'boolean' },
  'trusted-proxy': { type: 'string', multiple: true },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'target-ca': { type: 'string' },
  'insecure-http': { type: 'boolean' },
  'migration-expiry-hours': { type: 'string' },
  'control-token': { type: 'string' },
  metrics: { type: 'string' },
  ...DATA_OPTION,
} as const satisfies OptionsConfig;

export const SERVER_HELP: readonly (readonly [string, string])[] = [
  ['--host H', 'address to listen on (LIVELINK_HOST, default 127.0.0.1)'],
  ['--port P', 'port, 0 for any free one (LIVELINK_PORT, default 8080)'],
  ['--target-url URL', 'base URL of the target (Atlas) API (LIVELINK_TARGET_URL; default this server)'],
  ['--sync-interval SECONDS', 'seconds between inventory pushes of a linked organization (default 60)'],
  ['--log-level L', 'fatal, error, warn, info, debug, trace or silent (LIVELINK_LOG_LEVEL, default info)'],
  ['--log-requests', 'log one line per request (LIVELINK_LOG_REQUESTS)'],
  ['--trusted-proxy CIDR', 'a proxy allowed to set X-Forwarded-For (repeat; LIVELINK_TRUSTED_PROXIES)'],
  ['--tls-cert FILE --tls-key FILE', 'serve HTTPS (TLS 1.2+) with this PEM certificate and key (LIVELINK_TLS_CERT, LIVELINK_TLS_KEY)'],
  ['--target-ca FILE', "PEM CA certificates to trust for the target's certificate (LIVELINK_TARGET_CA)"],
  ['--insecure-http', 'allow plain HTTP on a non-loopback address (LIVELINK_INSECURE_HTTP=true)'],
  [
    '--migration-expiry-hours H',
    'hours a live migration ready for cutover waits for its cutover before it is EXPIRED (LIVELINK_MIGRATION_EXPIRY_HOURS, default 120)',
  ],
  [
    '--control-token TOKEN',
    'admin token of the rehearsal control API, 16+ characters (LIVELINK_CONTROL_TOKEN; default none: calls from this machine only)',
  ],
  ['--metrics WHO', 'who may read /metrics: loopback (this machine), public or off (LIVELINK_METRICS, default loopback)'],
];

const ROLE_HELP: readonly [string, string] = ['--role ROLE', 'both, source (Ops Manager) or target (Atlas) (LIVELINK_ROLE, default both)'];

export const serveCommand: Command = {
  path: ['serve'],
  summary: 'Serve the API until SIGTERM or SIGINT',
  usage: usage({
    synopsis:
      'serve [--role both|source|target] [--host H] [--port P] [--data DIR] [--target-url URL] [--sync-interval SECONDS]\n' +
      '[--log-level L] [--log-requests] [--trusted-proxy CIDR ...] [--tls-cert FILE --tls-key FILE] [--target-ca FILE]\n' +
      '[--insecure-http] [--database-url URL] [--migration-expiry-hours H] [--control-token TOKEN] [--fixtures FILE]\n' +
      '[--metrics loopback|public|off]',
    description:
      'Serves the Ops Manager migration-link API (source), the Atlas link-token API (target), or both. Logs go to\n' +
      'stdout as JSON lines. SIGTERM or SIGINT stops it: it stops accepting, lets requests in flight finish,\n' +
      'then closes the database. Production: set LIVELINK_ENCRYPTION_KEY and LIVELINK_NONCE_KEY.',
    options: [
      ROLE_HELP,
      ...SERVER_HELP,
      [
        '--fixtures FILE',
        'apply this fixture file (docs/fixtures.md) before listening, then take the snapshot init if there is none; a file with a problem stops the start, nothing served',
      ],
    ],
    examples: [
      'livelink serve --role source --target-url https://atlas.example.com --port 8080',
      'livelink serve --fixtures docs/examples/fixtures.yaml',
    ],
  }),
  options: { ...SERVER_OPTIONS, fixtures: { type: 'string' } },
  async run({ values }, io) {
    const config = serverConfig(values, io.env);
    const fixturesFile = optionalString(values, 'fixtures');
    // Read and checked before anything is opened: a bad file changes nothing and serves nothing.
    const fixture = fixturesFile === undefined ? undefined : await readFixtureFile(fixturesFile);
    const livelink = await createLivelink(config);
    if (fixture !== undefined) {
      try {
        io.stdout.write(`${describeReport(fixture.source.file, await livelink.services.fixtures.apply(fixture))}\n`);
        // What `control reset` with no name goes back to: the file's data, as `init` and `start` take theirs.
        await keepInitSnapshot(livelink, false);
      } catch (error) {
        await livelink.close();
        throw error;
      }
    }
    return serveUntilStopped(livelink, io, (url) => {
      io.stdout.write(`${listeningLine(url, config)}\n`);
    });
  },
};

/** The server configuration from the flags and the environment; `role` overrides both when given. */
export function serverConfig(values: OptionValues, env: CliIo['env'], role?: Config['role']): Config {
  const flags: Record<string, ConfigInput['flags'][string]> = {};
  for (const name of Object.keys(SERVER_OPTIONS)) {
    const value = values[name];
    flags[name] = Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : value;
  }
  if (role !== undefined) flags['role'] = role;
  return loadConfig({ flags, env });
}

export function listeningLine(url: string, config: Config): string {
  return `livelink listening on ${url} (role ${config.role})`;
}

/**
 * Listens, announces, then waits for SIGTERM or SIGINT and closes (stop accepting, finish requests in
 * flight, stop syncing, close the database). Resolves 0 only once the server has stopped. The signal
 * handlers are removed on the first signal: a second Ctrl-C then ends the process the default way, which
 * is the way out when a request in flight never finishes.
 */
export async function serveUntilStopped(livelink: Livelink, io: CliIo, announce: (url: string) => void): Promise<number> {
  let url: string;
  try {
    url = await livelink.listen();
  } catch (error) {
    await livelink.close();
    throw error;
  }
  if (livelink.generatedSecrets) {
    io.stderr.write(
      `livelink: using generated local keys in ${livelink.config.dataDir}/secrets.json; set LIVELINK_ENCRYPTION_KEY and LIVELINK_NONCE_KEY in production\n`,
    );
  }
  const signal = new Promise<NodeJS.Signals>((resolve) => {
    const stop = (received: NodeJS.Signals): void => {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      resolve(received);
    };
    // Named per signal rather than read from the listener's argument, which process.emit() leaves out.
    const onTerm = (): void => stop('SIGTERM');
    const onInt = (): void => stop('SIGINT');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
  });
  announce(url);
  io.stderr.write(`livelink: ${await signal} received; finishing requests in flight, then stopping\n`);
  await livelink.close();
  return 0;
}
