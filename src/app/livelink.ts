import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { ConfigError, type Config } from '../config/config.js';
import { loadSecrets } from '../config/local-secrets.js';
import { crossNodeState } from '../cross-node/cross-node-state.js';
import { SecretBox } from '../crypto/secret-box.js';
import { ApiKeyKyselyStore } from '../features/api-keys/api-key-kysely-store.js';
import { keyMeetsRequirement } from '../features/api-keys/api-key.js';
import { ApiKeyService } from '../features/api-keys/api-key-service.js';
import type { ApiKeyStore } from '../features/api-keys/api-key-store.js';
import { AuditKyselyStore } from '../features/audit/audit-kysely-store.js';
import { apiKeyRoutes, ATLAS_API_KEYS, OPS_MANAGER_API_KEYS } from '../features/api-keys/api-key-routes.js';
import { auditRoutes } from '../features/audit/audit-routes.js';
import { AuditService } from '../features/audit/audit-service.js';
import type { AuditStore } from '../features/audit/audit-store.js';
import { ClockKyselyStore } from '../features/clock/clock-kysely-store.js';
import { ClockService } from '../features/clock/clock-service.js';
import type { ClockStore } from '../features/clock/clock-store.js';
import { ClusterKyselyStore } from '../features/clusters/cluster-kysely-store.js';
import type { ClusterProbe } from '../features/clusters/cluster.js';
import { mongoClusterProbe } from '../features/clusters/cluster-probe.js';
import { clusterRoutes } from '../features/clusters/cluster-routes.js';
import { ClusterService } from '../features/clusters/cluster-service.js';
import type { ClusterStore } from '../features/clusters/cluster-store.js';
import { controlRoutes } from '../features/control/control-routes.js';
import { ControlService } from '../features/control/control-service.js';
import { TargetCallFaultKyselyStore } from '../features/control/target-call-fault-kysely-store.js';
import { TargetCallFaultService } from '../features/control/target-call-fault-service.js';
import { FixtureService, type SetUpServices } from '../features/fixtures/fixture-service.js';
import { LinkTokenKyselyStore } from '../features/link-tokens/link-token-kysely-store.js';
import { LinkTokenService } from '../features/link-tokens/link-token-service.js';
import type { LinkTokenStore } from '../features/link-tokens/link-token-store.js';
import { linkTokenRoutes } from '../features/link-tokens/link-token-routes.js';
import { LiveMigrationFaultKyselyStore } from '../features/live-migrations/live-migration-fault-kysely-store.js';
import { LiveMigrationFaultSource } from '../features/live-migrations/live-migration-fault-source.js';
import {
  LiveMigrationKyselyStore,
  LiveMigrationValidationKyselyStore,
  MigrationHostHeartbeatKyselyStore,
} from '../features/live-migrations/live-migration-kysely-store.js';
import { liveMigrationRoutes } from '../features/live-migrations/live-migration-routes.js';
import { LiveMigrationService } from '../features/live-migrations/live-migration-service.js';
import type {
  LiveMigrationFaultStore,
  LiveMigrationStore,
  LiveMigrationValidationStore,
  MigrationHostHeartbeatStore,
} from '../features/live-migrations/live-migration-store.js';
import { MigrationHostKeyKyselyStore } from '../features/migration-hosts/migration-host-key-kysely-store.js';
import type { MigrationHostKeyStore } from '../features/migration-hosts/migration-host-key-store.js';
import { MigrationHostService } from '../features/migration-hosts/migration-host-service.js';
import { MigrationJobRelay } from '../features/migration-hosts/migration-job-relay.js';
import { migrationJobRoutes } from '../features/migration-hosts/migration-job-routes.js';
import { MigrationLinkKyselyStore } from '../features/migration-link/migration-link-kysely-store.js';
import { MigrationLinkService } from '../features/migration-link/migration-link-service.js';
import type { MigrationLinkStore } from '../features/migration-link/migration-link-store.js';
import { migrationLinkRoutes } from '../features/migration-link/migration-link-routes.js';
import { SyncLoop } from '../features/migration-link/sync-loop.js';
import { MeteredTargetClient } from '../features/migration-link/metered-target-client.js';
import { HttpTargetClient, type TargetClient } from '../features/migration-link/target-client.js';
import { defineRoute, type ApiRoute } from '../features/organizations/api-route.js';
import { OrganizationKyselyStore } from '../features/organizations/organization-kysely-store.js';
import { OrganizationService } from '../features/organizations/organization-service.js';
import type { OrganizationStore } from '../features/organizations/organization-store.js';
import { atlasProjectRoutes } from '../features/organizations/atlas-project-routes.js';
import { organizationRoutes } from '../features/organizations/organization-routes.js';
import { UserKyselyStore } from '../features/users/user-kysely-store.js';
import { UserService } from '../features/users/user-service.js';
import { userRoutes } from '../features/users/user-routes.js';
import type { UserStore } from '../features/users/user-store.js';
import { SnapshotKyselyStore } from '../features/snapshots/snapshot-kysely-store.js';
import { SnapshotService } from '../features/snapshots/snapshot-service.js';
import type { SnapshotStore } from '../features/snapshots/snapshot-store.js';
import { SessionKyselyStore } from '../features/web/session-kysely-store.js';
import { SessionService } from '../features/web/session-service.js';
import type { SessionStore } from '../features/web/session-store.js';
import { DigestAuthenticator } from '../http/digest/digest-authenticator.js';
import { NonceMinter } from '../http/digest/nonce.js';
import { buildOpenApiDocument } from '../http/openapi.js';
import { openDatabase, pingDatabase, type Db, type OpenedDatabase } from '../persistence/database.js';
import { pendingMigrations } from '../persistence/migrations.js';
import { Lease } from '../persistence/lease.js';
import type { Dialect } from '../persistence/migrations.js';
import type { ReadTransaction, WriteTransaction } from '../persistence/write-transaction.js';
import { Clock } from '../shared/clock.js';
import { LivelinkMetrics } from './metrics.js';
import { readServiceVersion } from './service-version.js';

/**
 * Belt and braces: nothing livelink logs carries a secret, but should a request's headers or a body
 * ever be logged, these paths are masked.
 */
export const LOG_REDACTIONS = {
  paths: ['req.headers.authorization', 'req.headers.cookie', '*.privateKey', '*.linkToken', '*.privateApiKey', '*.password'],
  censor: '[redacted]',
};

/** How long a readiness check (/readyz) may take before it counts as failed. */
const READINESS_CHECK_TIMEOUT_MS = 2000;

/** A node that stops renewing the sync lease (it died) loses it after this long. */
const SYNC_LEASE_TTL_MS = 5000;
/** How often a node reads the rehearsal clock's offset that another node may have moved. */
const CLOCK_FOLLOW_INTERVAL_MS = 1000;

export interface LivelinkServices {
  organizations: OrganizationService;
  apiKeys: ApiKeyService;
  linkTokens: LinkTokenService;
  migrationLinks: MigrationLinkService;
  users: UserService;
  sessions: SessionService;
  audit: AuditService;
  migrationHosts: MigrationHostService;
  clusters: ClusterService;
  liveMigrations: LiveMigrationService;
  /** The rehearsal controls (the control API under /_livelink/control/v1). */
  control: ControlService;
  /** Fixture files (docs/fixtures.md), applied in one transaction. */
  fixtures: FixtureService;
  clock: ClockService;
  snapshots: SnapshotService;
}

/** Every store, bound to one database handle: the shared one, or one write transaction's. */
interface Stores {
  organizations: OrganizationStore;
  apiKeys: ApiKeyStore;
  links: MigrationLinkStore;
  linkTokens: LinkTokenStore;
  audit: AuditStore;
  users: UserStore;
  sessions: SessionStore;
  migrationHostKeys: MigrationHostKeyStore;
  clusters: ClusterStore;
  liveMigrations: LiveMigrationStore;
  liveMigrationValidations: LiveMigrationValidationStore;
  migrationHostHeartbeats: MigrationHostHeartbeatStore;
  clock: ClockStore;
  snapshots: SnapshotStore;
  liveMigrationFaults: LiveMigrationFaultStore;
}

/** What a write transaction hands a service: every store bound to it, and the hooks that cross features. */
interface TransactionStores extends Stores {
  /** The organizations service's hook: an inventory change marks the organization's link due, in the same transaction. */
  inventoryChanged(orgId: string): Promise<void>;
  /** The live-migration service's hook: the link-token service does not remove a link under an active migration. */
  activeLiveMigrationProjects(targetOrgId: string, sourceOrgId?: string): Promise<string[]>;
}

function storesOn(db: Db, dialect: Dialect): Stores {
  return {
    organizations: new OrganizationKyselyStore(db, dialect),
    apiKeys: new ApiKeyKyselyStore(db),
    links: new MigrationLinkKyselyStore(db, dialect),
    linkTokens: new LinkTokenKyselyStore(db),
    audit: new AuditKyselyStore(db),
    users: new UserKyselyStore(db),
    sessions: new SessionKyselyStore(db),
    migrationHostKeys: new MigrationHostKeyKyselyStore(db),
    clusters: new ClusterKyselyStore(db),
    liveMigrations: new LiveMigrationKyselyStore(db),
    liveMigrationValidations: new LiveMigrationValidationKyselyStore(db),
    migrationHostHeartbeats: new MigrationHostHeartbeatKyselyStore(db),
    clock: new ClockKyselyStore(db),
    snapshots: new SnapshotKyselyStore(db, dialect),
    liveMigrationFaults: new LiveMigrationFaultKyselyStore(db),
  };
}

/**
 * The services that set up an organization's data, on one set of stores and one way to write: the
 * shared ones, or those of a fixture file's transaction.
 */
function setUpServices(
  stores: Stores,
  transaction: WriteTransaction<TransactionStores>,
  deps: { secretBox: SecretBox; now: () => Date; probe: ClusterProbe },
): SetUpServices {
  const { secretBox, now } = deps;
  const organizations = new OrganizationService(stores.organizations, transaction, secretBox, now);
  const apiKeys = new ApiKeyService(stores.apiKeys, transaction, secretBox, () => now().getTime());
  return {
    organizations,
    apiKeys,
    users: new UserService(stores.users, transaction, organizations, now),
    // The source's migration hosts, with their own keys.
    migrationHosts: new MigrationHostService(stores.migrationHostKeys, transaction, apiKeys, now),
    clusters: new ClusterService(stores.clusters, transaction, organizations, secretBox, deps.probe, now),
  };
}

export interface Livelink {
  config: Config;
  /** This process's id among the nodes sharing a database (the sync lease's holder name). */
  nodeId: string;
  database: OpenedDatabase;
  /** The one clock every part of this process reads (the rehearsal controls move it). */
  clock: Clock;
  services: LivelinkServices;
  logger: Logger;
  /** True when the encryption and nonce keys were generated into the data folder (local use). */
  generatedSecrets: boolean;
  /** Builds the HTTP server and starts listening and syncing; resolves to the base URL. */
  listen(): Promise<string>;
  /** The OpenAPI document of the routes this process serves. */
  openApiDocument(): Record<string, unknown>;
  /** This process's metrics (what /metrics serves). */
  metrics: LivelinkMetrics;
  /** The HTTP server once listen() was called (tests inject requests through it). */
  http(): FastifyInstance;
  /** Stops accepting, lets in-flight requests finish, stops the sync loop, closes the database. */
  close(): Promise<void>;
}

/** What /readyz asks: the database answers a query, and has every schema migration of this version. */
function readinessChecks(database: OpenedDatabase) {
  return [
    {
      name: 'database',
      run: async () => {
        await pingDatabase(database.db);
        return undefined;
      },
    },
    {
      name: 'migrations',
      run: async () => {
        const pending = await pendingMigrations(database.db, database.dialect);
        return pending.length === 0 ? undefined : `${pending.length} not applied: ${pending.join(', ')}`;
      },
    },
  ];
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
  /**
   * The real time the clock runs from (default the system's): tests move it without the rehearsal
   * controls. The clock's offset is added to it.
   */
  now?: () => Date;
  /**
   * The source's outbound client to the target, instead of HTTP to the configured target URL: a test
   * can stand in for Atlas without a second server. The caller closes it.
   */
  targetClient?: TargetClient;
  /** How long a live migration's cutover waits for the migration host to complete (tests shorten it). */
  cutoverWaitMs?: number;
  /** How long a new cluster's server has to answer buildInfo (tests of a server that does not answer shorten it). */
  clusterProbeTimeoutMs?: number;
}

/**
 * The composition root: configuration → database → stores and services → HTTP routes. The server, the
 * CLI and the tests all enter here, so there is one way the parts are wired.
 */
export async function createLivelink(config: Config, options: LivelinkOptions = {}): Promise<Livelink> {
  const logger = options.logger ?? pino({ level: config.logLevel, redact: LOG_REDACTIONS });
  const realTime = options.now;
  const clock = new Clock(realTime === undefined ? Date.now : () => realTime().getTime());
  // What every service, the nonces, the sessions and the web pages go by.
  const now = (): Date => clock.now();
  const secrets = loadSecrets(config);
  const secretBox = new SecretBox([secrets.encryptionKey, ...secrets.previousEncryptionKeys]);
  const database = await openDatabase(
    config.databaseUrl === undefined ? { sqliteFile: join(config.dataDir, 'livelink.sqlite') } : { postgresUrl: config.databaseUrl },
  );
  const nodeId = randomUUID();
  const metrics = new LivelinkMetrics();

  const tls =
    config.tls === undefined
      ? undefined
      : { key: readConfigFile(config.tls.keyFile, '--tls-key'), cert: readConfigFile(config.tls.certFile, '--tls-cert') };
  const targetCa = config.targetCaFile === undefined ? undefined : readConfigFile(config.targetCaFile, '--target-ca');
  const scheme = tls === undefined ? 'http' : 'https';
  let baseUrl = `${scheme}://${config.host}:${config.port}`;

  // Stores: one set on the shared handle for reads (it keeps their compiled queries), and a fresh set
  // bound to each write transaction.
  const stores = storesOn(database.db, database.dialect);
  const transactionStoresOn = (tx: Db): TransactionStores => {
    const bound = storesOn(tx, database.dialect);
    return {
      ...bound,
      inventoryChanged: (orgId) => bound.links.markDue(orgId),
      activeLiveMigrationProjects: (orgId, sourceOrgId) => liveMigrations.activeProjectsIn(bound, orgId, sourceOrgId),
    };
  };
  const transaction: WriteTransaction<TransactionStores> = (work) => database.writeTransaction((tx) => work(transactionStoresOn(tx)));

  const readTransaction: ReadTransaction<Stores> = (work) => database.readTransaction((tx) => work(storesOn(tx, database.dialect)));

  // Services, each given its stores and the transaction factory; none builds anything of its own.
  // The control API's faults on the source's calls to the target, played in the HTTP client's transport.
  const targetCallFaults = new TargetCallFaultService(new TargetCallFaultKyselyStore(database.db), now);
  // Every call to the target is counted on its way back, whoever made it (injected faults included).
  const target: TargetClient = new MeteredTargetClient(
    options.targetClient ??
      new HttpTargetClient({
        baseUrl: () => config.targetUrl ?? baseUrl,
        connectTimeoutMs: 5000,
        totalTimeoutMs: config.outboundTimeoutSeconds * 1000,
        maxResponseBytes: 1024 * 1024,
        extraCa: targetCa,
        injectedFailure: (call) => targetCallFaults.take(call),
      }),
    metrics.targetCalls,
  );
  const probe = mongoClusterProbe(options.clusterProbeTimeoutMs);
  const { organizations, apiKeys, users, migrationHosts, clusters } = setUpServices(stores, transaction, { secretBox, now, probe });
  const linkTokens = new LinkTokenService(stores.linkTokens, transaction, apiKeys, now);
  const migrationLinks = new MigrationLinkService(
    stores.links,
    transaction,
    organizations,
    target,
    secretBox,
    now,
    () => new Date(clock.realNowMs()),
  );
  const sessions = new SessionService(stores.sessions, () => clock.nowMs());
  const audit = new AuditService(stores.audit);
  // The relay of the migration hosts' jobs to the target over the link.
  const migrationJobRelay = new MigrationJobRelay(migrationHosts, migrationLinks, organizations, target, transaction, now);
  // A fixture file is applied in one write transaction: the set-up services are built again on that
  // transaction's stores, their own transactions being that one, so the file's changes commit together.
  // The services that serve keep the organizations and keys they read for a second: what the file
  // changed is dropped from them once it commits, so the next request sees it.
  const forgetCached = (): void => {
    organizations.forgetCached();
    apiKeys.forgetCached();
  };
  const fixtures = new FixtureService(async (work) => {
    const applied = await database.writeTransaction((tx) => {
      const bound = transactionStoresOn(tx);
      return work(setUpServices(bound, (inner) => inner(bound), { secretBox, now, probe }));
    });
    forgetCached();
    return applied;
  }, probe);
  const liveMigrations = new LiveMigrationService(stores, transaction, clusters, stores.linkTokens, secretBox, {
    now,
    expiryHours: config.migrationExpiryHours,
    ...(options.cutoverWaitMs === undefined ? {} : { cutoverWaitMs: options.cutoverWaitMs, cutoverPollMs: 20 }),
  });
  const servesSource = config.role !== 'target';
  const servesTarget = config.role !== 'source';
  // The rehearsal controls gather the faults every family keeps: those on the source's calls to the
  // target, and, where the target is served, those on its live migrations.
  const control = new ControlService([targetCallFaults, ...(servesTarget ? [new LiveMigrationFaultSource(liveMigrations)] : [])]);
  // The rehearsal clock follows the offset stored in the database: adopted now, before anything reads it.
  const clockControl = new ClockService(clock, stores.clock, transaction);
  await clockControl.refresh();
  // A reset also clears the active faults and puts the clock back to real time.
  const snapshots = new SnapshotService(stores.snapshots, readTransaction, transaction, clockControl, now, {
    clearFaults: () => control.clearFaults(),
    forgetCached,
  });
  const services: LivelinkServices = {
    organizations,
    apiKeys,
    linkTokens,
    migrationLinks,
    users,
    sessions,
    audit,
    migrationHosts,
    clusters,
    liveMigrations,
    control,
    fixtures,
    clock: clockControl,
    snapshots,
  };
  // Real time: the lease tells a dead node from a live one, whatever the rehearsal clock says.
  const syncLease = new Lease(database.db, 'sync', nodeId, SYNC_LEASE_TTL_MS, () => clock.realNowMs());
  const syncLoop = new SyncLoop(migrationLinks, syncLease, config.syncIntervalSeconds * 1000, logger);

  metrics.watchWrites(() => database.writeCounts());
  if (servesTarget) metrics.watchLiveMigrations(() => liveMigrations.everyActive(), logger);
  const routes: ApiRoute[] = [
    defineRoute({
      name: 'health',
      summary: 'Liveness for load balancers (no authentication)',
      method: 'GET',
      paths: ['/health'],
      access: { kind: 'public' },
      handle: () => Promise.resolve({ status: 200, body: { status: 'OK' } }),
    }),
    defineRoute({
      name: 'openApiDocument',
      summary: 'This OpenAPI document (no authentication)',
      method: 'GET',
      paths: ['/openapi.json'],
      access: { kind: 'public' },
      handle: () => Promise.resolve({ status: 200, body: openApiDocument() }),
    }),
    ...organizationRoutes(organizations),
    ...userRoutes(users),
    ...auditRoutes(audit),
    // An organization's API keys: Ops Manager's on the source, Atlas's (v2 and v1.0) on the target.
    ...(servesSource ? apiKeyRoutes(apiKeys, OPS_MANAGER_API_KEYS) : []),
    ...(servesTarget ? ATLAS_API_KEYS.flatMap((base) => apiKeyRoutes(apiKeys, base)) : []),
    ...(servesTarget ? atlasProjectRoutes(async (projectId) => (await clusters.list(projectId)).length) : []),
    ...(servesSource ? migrationLinkRoutes(migrationLinks) : []),
    ...(servesSource ? migrationJobRoutes(migrationJobRelay) : []),
    ...(servesTarget ? linkTokenRoutes(linkTokens) : []),
    ...(servesTarget ? clusterRoutes(clusters) : []),
    ...(servesTarget ? liveMigrationRoutes(liveMigrations) : []),
    ...controlRoutes({
      control,
      targetCalls: servesSource ? targetCallFaults : undefined,
      liveMigrations: servesTarget ? liveMigrations : undefined,
      clock: clockControl,
      snapshots,
    }),
  ];

  const serviceVersion = readServiceVersion(process.env);
  const openApiDocument = () => buildOpenApiDocument(routes, serviceVersion.versionString);

  let server: FastifyInstance | undefined;
  let closed = false;

  return {
    config,
    nodeId,
    database,
    clock,
    services,
    logger,
    generatedSecrets: secrets.generated,
    async listen() {
      // The HTTP server (Fastify and its schema compilers) and the web pages are loaded here, not with
      // this module: every CLI command builds a Livelink too, and only serve and start ever listen.
      const [{ createHttpServer }, { registerWebPages }] = await Promise.all([
        import('../http/server.js'),
        import('../features/web/web-routes.js'),
      ]);
      // Replay records and failure counters: in memory on SQLite, in the database on PostgreSQL. On real
      // time: a replay record is kept until its nonce is expired at real time, which the rehearsal clock
      // (never behind real time) can then not make fresh again; failures lapse in real time.
      const shared = crossNodeState(database, () => clock.realNowMs());
      await shared.start();
      server = await createHttpServer({
        routes,
        authenticator: new DigestAuthenticator({
          nonces: new NonceMinter({
            key: secrets.nonceKey,
            lifetimeMs: config.nonceLifetimeSeconds * 1000,
            now: () => clock.nowMs(),
            // Minted in the replay guard's epoch: a nonce stops being accepted when its records are lost.
            epoch: () => shared.replayGuard.currentEpoch(),
          }),
          replayGuard: shared.replayGuard,
          // The request's one key lookup: the outcome carries the key to the edge's other steps.
          lookupKey: (publicKey) => apiKeys.findForAuthentication(publicKey),
          throttle: shared.digestThrottle,
        }),
        directory: organizations,
        keyMeetsRequirement,
        controlToken: config.controlToken,
        logger,
        serviceVersion,
        trustedProxies: config.trustedProxies,
        bodyLimitBytes: config.bodyLimitBytes,
        logRequests: config.logRequests,
        metrics: metrics.edge,
        probes: { readiness: readinessChecks(database), checkTimeoutMs: READINESS_CHECK_TIMEOUT_MS },
        metricsEndpoint: { access: config.metricsAccess, contentType: metrics.contentType, render: () => metrics.render() },
        // The web pages: outside the Public API (and its OpenAPI document), on the same services.
        extend: (app) =>
          registerWebPages(app, {
            role: config.role,
            users,
            organizations,
            migrationLinks,
            linkTokens,
            liveMigrations,
            clusters,
            sessions,
            // Failed sign-ins count like failed digest answers.
            loginThrottle: shared.loginThrottle,
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
      clockControl.follow(CLOCK_FOLLOW_INTERVAL_MS);
      return baseUrl;
    },
    openApiDocument,
    metrics,
    http() {
      if (server === undefined) throw new Error('livelink is not listening');
      return server;
    },
    async close() {
      if (closed) return;
      closed = true;
      clockControl.stop();
      await syncLoop.stop();
      await server?.close();
      // A client handed in belongs to the caller.
      if (options.targetClient === undefined) await target.close();
      await database.close();
    },
  };
}
