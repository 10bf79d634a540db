import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { canonicalAccessListEntry } from '../shared/access-list.js';

export type ServerRole = 'both' | 'source' | 'target';

/**
 * Everything livelink can be told, from flags and environment variables, checked once at start-up.
 * Each option: flag, environment variable, default.
 */
export interface Config {
  /** --role, LIVELINK_ROLE: which API this process serves. Default both (a complete local pair). */
  role: ServerRole;
  /** --host, LIVELINK_HOST. Default 127.0.0.1. */
  host: string;
  /** --port, LIVELINK_PORT. Default 8080; 0 picks a free port. */
  port: number;
  /** --data, LIVELINK_DATA_DIR: the SQLite file and the generated local secrets. Default ./data. */
  dataDir: string;
  /**
   * --database-url, LIVELINK_DATABASE_URL: a postgres:// URL to share one PostgreSQL among several
   * nodes. Default: none, the embedded SQLite file in the data folder (one machine).
   */
  databaseUrl: string | undefined;
  /**
   * --target-url, LIVELINK_TARGET_URL: where the source finds the target (Atlas) API. The link-token
   * carries no URL, as with Ops Manager, so a token can never point the source at another host.
   * Default: this process itself when it serves both roles.
   */
  targetUrl: string | undefined;
  /** --sync-interval, LIVELINK_SYNC_INTERVAL: seconds between inventory pushes of a linked organization. Default 60. */
  syncIntervalSeconds: number;
  /** LIVELINK_ENCRYPTION_KEY: 32 bytes, base64 or hex, sealing secrets at rest. Default: generated in the data folder. */
  encryptionKey: string | undefined;
  /**
   * LIVELINK_PREVIOUS_ENCRYPTION_KEYS: comma-separated older encryption keys, still accepted for opening
   * sealed values while `livelink rotate-keys` re-seals them with the current key.
   */
  previousEncryptionKeys: string[];
  /** LIVELINK_NONCE_KEY: ≥ 32 bytes, base64 or hex, signing digest nonces (shared by all nodes). Default: generated in the data folder. */
  nonceKey: string | undefined;
  /** --trusted-proxy (repeatable), LIVELINK_TRUSTED_PROXIES (comma-separated): only these may set X-Forwarded-For. */
  trustedProxies: string[];
  /** --log-level, LIVELINK_LOG_LEVEL: fatal, error, warn, info, debug, trace, silent. Default info. */
  logLevel: string;
  /** --log-requests, LIVELINK_LOG_REQUESTS: one log line per request (off by default: it costs throughput). */
  logRequests: boolean;
  /** LIVELINK_NONCE_LIFETIME: seconds a digest nonce stays fresh. Default 300. */
  nonceLifetimeSeconds: number;
  /** LIVELINK_BODY_LIMIT: largest request body in bytes. Default 65536. */
  bodyLimitBytes: number;
  /** LIVELINK_OUTBOUND_TIMEOUT: total seconds for one call to the target. Default 15. */
  outboundTimeoutSeconds: number;
  /**
   * --migration-expiry-hours, LIVELINK_MIGRATION_EXPIRY_HOURS: a live migration ready for cutover and not
   * cut over within this many hours is EXPIRED (Atlas's timer). Whole hours, 1 to 8760. Default 120.
   */
  migrationExpiryHours: number;
  /** --tls-cert and --tls-key, LIVELINK_TLS_CERT and LIVELINK_TLS_KEY: PEM files; with both, livelink serves HTTPS (TLS 1.2+). */
  tls: { certFile: string; keyFile: string } | undefined;
  /** --target-ca, LIVELINK_TARGET_CA: a PEM CA bundle trusted for the target's certificate besides the system's. */
  targetCaFile: string | undefined;
  /**
   * --insecure-http, LIVELINK_INSECURE_HTTP=true: allow plain HTTP on an address other than loopback.
   * Without it livelink refuses, since digest over plain HTTP exposes every request to the network.
   */
  insecureHttp: boolean;
  /**
   * --control-token, LIVELINK_CONTROL_TOKEN: the admin token of the rehearsal control API
   * (`/_livelink/control/v1`), sent as `Authorization: Bearer <token>`; 16 or more visible characters.
   * Default: none, and then the control API answers calls from this machine only.
   */
  controlToken: string | undefined;
  /**
   * --metrics, LIVELINK_METRICS: who may read /metrics (Prometheus, no authentication). loopback (the
   * default): clients on this machine only; public: anyone who reaches the port; off: not served.
   */
  metricsAccess: 'loopback' | 'public' | 'off';
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export interface ConfigInput {
  flags: Readonly<Record<string, string | boolean | string[] | undefined>>;
  env: Readonly<Record<string, string | undefined>>;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function loadConfig({ flags, env }: ConfigInput): Config {
  const text = (flag: string, variable: string): string | undefined => {
    const value = flags[flag];
    if (typeof value === 'string') return value;
    if (Array.isArray(value)) return value[value.length - 1];
    const fromEnv = env[variable];
    return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
  };

  const role = text('role', 'LIVELINK_ROLE') ?? 'both';
  if (role !== 'both' && role !== 'source' && role !== 'target') {
    throw new ConfigError(`--role must be both, source or target (got ${JSON.stringify(role)})`);
  }
  const host = text('host', 'LIVELINK_HOST') ?? '127.0.0.1';
  if (isIP(host) === 0 && !/^[a-zA-Z0-9.-]+$/.test(host))
    throw new ConfigError(`--host is not an address or host name: ${JSON.stringify(host)}`);

  const targetUrl = text('target-url', 'LIVELINK_TARGET_URL');
  if (targetUrl !== undefined) {
    let parsed: URL;
    try {
      parsed = new URL(targetUrl);
    } catch {
      throw new ConfigError(`--target-url is not a URL: ${JSON.stringify(targetUrl)}`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      throw new ConfigError(`--target-url must be http or https: ${JSON.stringify(targetUrl)}`);
    if (parsed.pathname !== '/' || parsed.search !== '' || parsed.username !== '') {
      throw new ConfigError(`--target-url must be a base URL like https://atlas.example.com (got ${JSON.stringify(targetUrl)})`);
    }
  }
  if (role === 'source' && targetUrl === undefined) {
    throw new ConfigError('--target-url is required with --role source: the source must know where the target API is');
  }

  const databaseUrl = text('database-url', 'LIVELINK_DATABASE_URL');
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\/[^\s]+$/.test(databaseUrl)) {
    throw new ConfigError('--database-url must be a postgres:// or postgresql:// URL');
  }

  const logLevel = text('log-level', 'LIVELINK_LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel))
    throw new ConfigError(`--log-level must be one of ${LOG_LEVELS.join(', ')} (got ${JSON.stringify(logLevel)})`);

  const proxies = [
    ...(Array.isArray(flags['trusted-proxy'])
      ? flags['trusted-proxy']
      : typeof flags['trusted-proxy'] === 'string'
        ? [flags['trusted-proxy']]
        : []),
    ...(env['LIVELINK_TRUSTED_PROXIES'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  ].map((entry) => {
    const canonical = canonicalAccessListEntry(entry);
    if (canonical === undefined) throw new ConfigError(`--trusted-proxy is not an IP address or CIDR block: ${JSON.stringify(entry)}`);
    return canonical;
  });

  const certFile = text('tls-cert', 'LIVELINK_TLS_CERT');
  const keyFile = text('tls-key', 'LIVELINK_TLS_KEY');
  if ((certFile === undefined) !== (keyFile === undefined))
    throw new ConfigError('--tls-cert and --tls-key go together: give both or neither');
  const insecureFlag = flags['insecure-http'];
  const insecureHttp = insecureFlag === true || insecureFlag === 'true' || env['LIVELINK_INSECURE_HTTP'] === 'true';
  if (certFile === undefined && !insecureHttp && !isLoopback(host)) {
    throw new ConfigError(
      `--host ${host} is not a loopback address: serve it with --tls-cert and --tls-key, or pass --insecure-http to accept plain HTTP on the network`,
    );
  }

  const controlToken = text('control-token', 'LIVELINK_CONTROL_TOKEN');
  // Visible ASCII, as a Bearer token must be (RFC 6750's b64token, loosely): anything else could never be sent.
  if (controlToken !== undefined && !/^[\x21-\x7e]{16,}$/.test(controlToken))
    throw new ConfigError('--control-token must be at least 16 visible ASCII characters, without spaces');
  const metricsAccess = text('metrics', 'LIVELINK_METRICS') ?? 'loopback';
  if (metricsAccess !== 'loopback' && metricsAccess !== 'public' && metricsAccess !== 'off') {
    throw new ConfigError(`--metrics must be loopback, public or off (got ${JSON.stringify(metricsAccess)})`);
  }

  const logRequestsFlag = flags['log-requests'];
  return {
    role,
    host,
    port: integer(text('port', 'LIVELINK_PORT'), '--port', 8080, 0, 65535),
    dataDir: resolve(text('data', 'LIVELINK_DATA_DIR') ?? './data'),
    databaseUrl,
    targetUrl: targetUrl?.replace(/\/$/, ''),
    syncIntervalSeconds: integer(text('sync-interval', 'LIVELINK_SYNC_INTERVAL'), '--sync-interval', 60, 1, 86_400),
    encryptionKey: env['LIVELINK_ENCRYPTION_KEY'] || undefined,
    nonceKey: env['LIVELINK_NONCE_KEY'] || undefined,
    previousEncryptionKeys: (env['LIVELINK_PREVIOUS_ENCRYPTION_KEYS'] ?? '')
      .split(',')
      .map((k) => k.trim())
      .filter((k) => k !== ''),
    trustedProxies: proxies,
    logLevel,
    logRequests: logRequestsFlag === true || logRequestsFlag === 'true' || env['LIVELINK_LOG_REQUESTS'] === 'true',
    nonceLifetimeSeconds: integer(env['LIVELINK_NONCE_LIFETIME'], 'LIVELINK_NONCE_LIFETIME', 300, 5, 86_400),
    bodyLimitBytes: integer(env['LIVELINK_BODY_LIMIT'], 'LIVELINK_BODY_LIMIT', 65_536, 1024, 16 * 1024 * 1024),
    outboundTimeoutSeconds: integer(env['LIVELINK_OUTBOUND_TIMEOUT'], 'LIVELINK_OUTBOUND_TIMEOUT', 15, 1, 600),
    migrationExpiryHours: integer(
      text('migration-expiry-hours', 'LIVELINK_MIGRATION_EXPIRY_HOURS'),
      '--migration-expiry-hours',
      120,
      1,
      8760,
    ),
    tls: certFile !== undefined && keyFile !== undefined ? { certFile: resolve(certFile), keyFile: resolve(keyFile) } : undefined,
    targetCaFile: text('target-ca', 'LIVELINK_TARGET_CA'),
    insecureHttp,
    controlToken,
    metricsAccess,
  };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function integer(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new ConfigError(`${name} must be a whole number (got ${JSON.stringify(value)})`);
  const n = Number(value);
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max} (got ${n})`);
  return n;
}
