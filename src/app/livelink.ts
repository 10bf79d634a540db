import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { ConfigError, type Config } from '../config/config.js';
import { loadSecrets } from '../config/local-secrets.js';
import { SecretBox } from '../crypto/secret-box.js';
import { auditRoutes } from '../features/audit/audit-routes.js';
import { ApiKeyService } from '../features/api-keys/api-key-service.js';
import { LinkTokenService } from '../features/link-tokens/link-token-service.js';
import { linkTokenRoutes } from '../features/link-tokens/link-token-routes.js';
import { MigrationLinkService } from '../features/migration-link/migration-link-service.js';
import { migrationLinkRoutes } from '../features/migration-link/migration-link-routes.js';
import { SyncLoop } from '../features/migration-link/sync-loop.js';
import { TargetClient } from '../features/migration-link/target-client.js';
import { OrganizationService } from '../features/organizations/organization-service.js';
import { organizationRoutes } from '../features/organizations/organization-routes.js';
import { UserService } from '../features/users/user-service.js';
import { DEFAULT_THROTTLE_POLICY, MemoryAuthFailureThrottle } from '../http/auth-throttle.js';
import { DigestAuthenticator } from '../http/digest/digest-authenticator.js';
import { NonceMinter } from '../http/digest/nonce.js';
import { MemoryReplayGuard } from '../http/digest/replay-guard.js';
import { buildOpenApiDocument } from '../http/openapi.js';
import { defineRoute, type RouteDefinition } from '../http/route.js';
import { openDatabase, type OpenedDatabase } from '../persistence/database.js';
import { DatabaseAuthFailureThrottle } from '../persistence/database-auth-throttle.js';
import { DatabaseReplayGuard } from '../persistence/database-replay-guard.js';
import { Lease } from '../persistence/lease.js';
import { readServiceVersion } from './service-version.js';

/**
 * Belt and braces: nothing livelink logs carries a secret, but should a request's headers or a body
 * ever be logged, these paths are masked.
 */
export const LOG_REDACTIONS = {
  paths: ['req.headers.authorization', 'req.headers.cookie', '*.privateKey', '*.linkToken', '*.privateApiKey', '*.password'],
  censor: '[redacted]',
};

/** A node that stops renewing the sync lease (it died) loses it after this long. */
const SYNC_LEASE_TTL_MS = 5000;

export interface LivelinkServices {
  organizations: OrganizationService;
  apiKeys: ApiKeyService;
  linkTokens: LinkTokenService;
  migrationLinks: MigrationLinkService;
  users: UserService;
}

export interface Livelink {
  config: Config;
  /** This process's id among the nodes sharing a database (the sync lease's holder name). */
  nodeId: string;
  database: OpenedDatabase;
  services: LivelinkServices;
  logger: Logger;
  /** True when the encryption and nonce keys were generated into the data folder (local use). */
  generatedSecrets: boolean;
  /** Builds the HTTP server and starts listening and syncing; resolves to the base URL. */
  listen(): Promise<string>;
  /** The OpenAPI document of the routes this process serves. */
  openApiDocument(): Record<string, unknown>;
  /** The HTTP server once listen() was called (tests inject requests through it). */
  http(): FastifyInstance;
  /** Stops accepting, lets in-flight requests finish, stops the sync loop, closes the database. */
  close(): Promise<void>;
}

function readConfigFile(file: string, option: string): Buffer {
  try {
    return readFileSync(file);
  } catch {
    throw new ConfigError(`${option}: cannot read ${file}`);
  }
}

export interface LivelinkOptions {
  logger?: Logger;
  now?: () => Date;
}

/**
 * The composition root: configuration → database → stores and services → HTTP routes. The server, the
 * CLI and the tests all enter here, so there is one way the parts are wired.
 */
export async function createLivelink(config: Config, options: LivelinkOptions = {}): Promise<Livelink> {
  const logger = options.logger ?? pino({ level: config.logLevel, redact: LOG_REDACTIONS });
  const now = options.now ?? (() => new Date());
  const secrets = loadSecrets(config);
  const secretBox = new SecretBox([secrets.encryptionKey, ...secrets.previousEncryptionKeys]);
  const database = await openDatabase(
    config.databaseUrl === undefined ? { sqliteFile: join(config.dataDir, 'livelink.sqlite') } : { postgresUrl: config.databaseUrl },
  );
  const nodeId = randomUUID();

  const tls = config.tls === undefined ? undefined : { key: readConfigFile(config.tls.keyFile, '--tls-key'), cert: readConfigFile(config.tls.certFile, '--tls-cert') };
  const targetCa = config.targetCaFile === undefined ? undefined : readConfigFile(config.targetCaFile, '--target-ca');
  const scheme = tls === undefined ? 'http' : 'https';
  let baseUrl = `${scheme}://${config.host}:${config.port}`;
  const organizations = new OrganizationService(database, now);
  const apiKeys = new ApiKeyService(database, secretBox, () => now().getTime());
  const linkTokens = new LinkTokenService(database, apiKeys, now);
  const target = new TargetClient({
    baseUrl: () => config.targetUrl ?? baseUrl,
    connectTimeoutMs: 5000,
    totalTimeoutMs: config.outboundTimeoutSeconds * 1000,
    maxResponseBytes: 1024 * 1024,
    extraCa: targetCa,
  });
  const migrationLinks = new MigrationLinkService(database, organizations, target, secretBox, now);
  const syncLease = new Lease(database.db, 'sync', nodeId, SYNC_LEASE_TTL_MS, () => now().getTime());
  const syncLoop = new SyncLoop(migrationLinks, syncLease, config.syncIntervalSeconds * 1000, logger);
  const users = new UserService(database, organizations, now);
  const services: LivelinkServices = { organizations, apiKeys, linkTokens, migrationLinks, users };

  const servesSource = config.role !== 'target';
  const servesTarget = config.role !== 'source';
  const routes: RouteDefinition[] = [
    defineRoute({
      name: 'health',
      summary: 'Liveness for load balancers (no authentication)',
      method: 'GET',
      paths: ['/health'],
      access: { kind: 'public' },
      handle: async () => ({ status: 200, body: { status: 'OK' } }),
    }),
    defineRoute({
      name: 'openApiDocument',
      summary: 'This OpenAPI document (no authentication)',
      method: 'GET',
      paths: ['/openapi.json'],
      access: { kind: 'public' },
      handle: async () => ({ status: 200, body: openApiDocument() }),
    }),
    ...organizationRoutes(organizations),
    ...auditRoutes(database.db),
    ...(servesSource ? migrationLinkRoutes(migrationLinks) : []),
    ...(servesTarget ? linkTokenRoutes(linkTokens) : []),
  ];

  const serviceVersion = readServiceVersion(process.env);
  const openApiDocument = () => buildOpenApiDocument(routes, serviceVersion.versionString);

  let server: FastifyInstance | undefined;
  let closed = false;

  return {
    config,
    nodeId,
    database,
    services,
    logger,
    generatedSecrets: secrets.generated,
    async listen() {
      // The HTTP server (Fastify and its schema compilers) and the web pages are loaded here, not with
      // this module: every CLI command builds a Livelink too, and only serve and start ever listen.
      const [{ createHttpServer }, { registerWebPages }, { SessionService }, { SessionKyselyStore }] = await Promise.all([
        import('../http/server.js'),
        import('../features/web/web-routes.js'),
        import('../features/web/session-service.js'),
        import('../features/web/session-kysely-store.js'),
      ]);
      server = await createHttpServer({
        routes,
        authenticator: new DigestAuthenticator({
          nonces: new NonceMinter({ key: secrets.nonceKey, lifetimeMs: config.nonceLifetimeSeconds * 1000, now: () => now().getTime() }),
          // One process on SQLite keeps replay records in memory (no write per request); nodes sharing
          // PostgreSQL must see each other's, so there they live in the database.
          replayGuard:
            database.dialect === 'postgres'
              ? new DatabaseReplayGuard(database.db, () => now().getTime())
              : new MemoryReplayGuard({ now: () => now().getTime() }),
          lookupKey: async (publicKey) => (await apiKeys.findForAuthentication(publicKey))?.secrets,
          throttle:
            database.dialect === 'postgres'
              ? new DatabaseAuthFailureThrottle(database.db, DEFAULT_THROTTLE_POLICY, () => now().getTime())
              : new MemoryAuthFailureThrottle(DEFAULT_THROTTLE_POLICY, () => now().getTime()),
        }),
        apiKeys,
        directory: organizations,
        logger,
        serviceVersion,
        trustedProxies: config.trustedProxies,
        bodyLimitBytes: config.bodyLimitBytes,
        logRequests: config.logRequests,
        // The web pages: outside the Public API (and its OpenAPI document), on the same services.
        extend: (app) =>
          registerWebPages(app, {
            role: config.role,
            users,
            organizations,
            migrationLinks,
            linkTokens,
            sessions: new SessionService(new SessionKyselyStore(database.db), () => now().getTime()),
            // Failed sign-ins count like failed digest answers: across nodes on PostgreSQL, in memory on SQLite.
            loginThrottle:
              database.dialect === 'postgres'
                ? new DatabaseAuthFailureThrottle(database.db, DEFAULT_THROTTLE_POLICY, () => now().getTime())
                : new MemoryAuthFailureThrottle(DEFAULT_THROTTLE_POLICY, () => now().getTime()),
            secureCookies: tls !== undefined,
            now,
          }),
        ...(tls === undefined ? {} : { tls }),
      });
      const address = await server.listen({ host: config.host, port: config.port });
      const port = server.server.address();
      const host = config.host.includes(':') ? `[${config.host}]` : config.host;
      baseUrl = typeof port === 'object' && port !== null ? `${scheme}://${host}:${port.port}` : address;
      if (servesSource) syncLoop.start();
      return baseUrl;
    },
    openApiDocument,
    http() {
      if (server === undefined) throw new Error('livelink is not listening');
      return server;
    },
    async close() {
      if (closed) return;
      closed = true;
      await syncLoop.stop();
      await server?.close();
      await target.close();
      await database.close();
    },
  };
}
