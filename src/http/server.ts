import { randomUUID } from 'node:crypto';
import { createServer as createHttpServerOnly, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { ApiError, apiErrors } from './api-error.js';
import { authenticationStep } from './authenticate.js';
import { authorizationStep, grantedAccess } from './authorize.js';
import { RouteBodyValidator } from './body-validation.js';
import { clientAddress } from './client-address.js';
import type { DigestAuthenticator } from './digest/digest-authenticator.js';
import { earlyChallenge } from './early-challenge.js';
import { CHALLENGE_ROUTE, meterResponses, metersByMethod, NO_EDGE_METRICS, type EdgeMetrics } from './edge-metrics.js';
import type { AccessDirectory, EdgeTypes, RoleCheck } from './edge-types.js';
import { clientErrorWriter, errorHandlers } from './error-handler.js';
import { registerHealthProbes, type HealthProbeOptions } from './health-probes.js';
import { LazyRequestLogger } from './lazy-request-logger.js';
import { replyWithError, send, setAnswerHeaders, WireCasedResponse } from './reply.js';
import { DEFAULT_RESOURCE_VERSIONS, negotiate, servesVersions } from './media-type.js';
import { registerMetricsEndpoint, type MetricsEndpointOptions } from './metrics-endpoint.js';
import { newRequestState, stateOf, type RequestState } from './request-state.js';
import type { RouteDefinition } from './route.js';
import { parseWireFlags, readWireFlags } from './wire-format.js';

export interface ServiceVersion {
  gitHash: string;
  versionString: string;
}

/**
 * What the edge is given. `T` is the domain the route table is written against: the edge reads only the
 * fields of edge-types.ts, and the composition root binds the features' lookups and role check here.
 */
export interface HttpServerOptions<T extends EdgeTypes> {
  routes: readonly RouteDefinition<T>[];
  /** Verifies digest answers; its key lookup is the only one of a request. */
  authenticator: DigestAuthenticator<T['key']>;
  directory: AccessDirectory<T>;
  keyMeetsRequirement: RoleCheck<T>;
  /** The rehearsal control API's admin token (control-access.ts); undefined admits loopback callers only. */
  controlToken: string | undefined;
  logger: FastifyBaseLogger;
  serviceVersion: ServiceVersion;
  trustedProxies: readonly string[];
  bodyLimitBytes: number;
  logRequests: boolean;
  /** PEM key and certificate: serve HTTPS, TLS 1.2 and later only. */
  tls?: { key: Buffer; cert: Buffer };
  /** Where the edge counts answers and digest failures; nothing is counted without it. */
  metrics?: EdgeMetrics;
  /** `/livez` and `/readyz` (health-probes.ts); without it, neither is served. */
  probes?: HealthProbeOptions;
  /** `/metrics` (metrics-endpoint.ts); without it, not served. */
  metricsEndpoint?: MetricsEndpointOptions;
  /** Registers routes outside the Public API (web pages), inside the same server and error handling. */
  extend?: (app: FastifyInstance) => Promise<void>;
}

/** Paths under this prefix are the Public API: authenticated before anything else is looked at. */
const API_PREFIX = '/api/';

/**
 * The HTTP edge of both roles. The order of work on every request is fixed here, each step in its own
 * file: the early challenge (early-challenge.ts), before Fastify; the headers every answer carries;
 * digest authentication and the key's access list (authenticate.ts), before routing results, body
 * parsing or validation are used; the route's declared access (authorize.ts); body validation; the
 * handler; the answer (reply.ts). Errors from any step go through the one error handler (error-handler.ts).
 */
export async function createHttpServer<T extends EdgeTypes>(options: HttpServerOptions<T>): Promise<FastifyInstance> {
  const serviceVersionHeader = `gitHash=${options.serviceVersion.gitHash}; versionString=${options.serviceVersion.versionString}`;
  // Set when the server starts closing: from then on Fastify answers every request (503).
  let closing = false;
  const metrics = options.metrics ?? NO_EDGE_METRICS;
  const answerChallengeEarly = earlyChallenge({
    challenge: (stale) => options.authenticator.challenge(stale),
    serviceVersionHeader,
    // While request logging is on, everything goes through Fastify, so that the log misses nothing.
    mayAnswer: () => !closing && !options.logRequests,
    meter: metersByMethod(metrics, CHALLENGE_ROUTE),
  });
  const { handleError, handleNotFound } = errorHandlers({ routes: options.routes, bodyLimitBytes: options.bodyLimitBytes });
  const authenticate = authenticationStep({ ...options, metrics });
  const authorize = authorizationStep(options);

  const app = Fastify({
    loggerInstance: options.logger,
    logController: new LogController({ disableRequestLogging: !options.logRequests }),
    bodyLimit: options.bodyLimitBytes,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    genReqId: nextRequestId,
    childLoggerFactory: LazyRequestLogger.factory,
    serverFactory: serverFactory(options.tls, answerChallengeEarly),
    return503OnClosing: true,
    clientErrorHandler: clientErrorWriter(serviceVersionHeader),
    frameworkErrors: (error, request, reply) => {
      void handleError(error, request, reply);
    },
  });

  app.decorateRequest('livelink', null as unknown as RequestState);
  // Before any route: each route's answers are counted by a hook bound to it when it is registered.
  meterResponses(app, metrics, API_PREFIX);

  // Ops Manager takes JSON whatever Content-Type the client sends (curl --data sends a form type);
  // the body is parsed here, once, with the size limit, and a parse failure is INVALID_JSON.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(apiErrors.invalidJson(), undefined);
    }
  });

  app.addHook('onRequest', async (request, reply) => {
    setAnswerHeaders(reply, serviceVersionHeader);
    request.livelink = newRequestState(
      clientAddress(request.socket.remoteAddress, request.headers['x-forwarded-for'], options.trustedProxies),
    );
    const underApi = request.url.startsWith(API_PREFIX);
    // Outside /api/ only the route's declared access is checked (the control API's token; nothing on a
    // public route), and an unknown path goes straight to the not-found handler.
    if (!underApi && request.routeOptions.config.authorize === undefined) return;
    try {
      if (underApi) await authenticate(request);
      // Absent on an unknown path: authenticated all the same, then answered by the not-found handler.
      await request.routeOptions.config.authorize?.(request);
    } catch (error) {
      // Answered here rather than thrown: the digest challenge is the first answer of nearly every
      // client call, and Fastify's error path costs far more than sending the bytes.
      if (error instanceof ApiError)
        return replyWithError(reply, error, readWireFlags(request.query as Record<string, unknown> | undefined), request.url);
      throw error;
    }
  });

  app.setErrorHandler(handleError);
  app.setNotFoundHandler(handleNotFound);
  for (const route of options.routes) registerRoute(route);
  for (const { method, path } of shadowedMethods(options.routes)) {
    app.route({ method, url: path, handler: (request, reply) => handleNotFound(request, reply) });
  }
  if (options.probes !== undefined) registerHealthProbes(app, options.probes);
  if (options.metricsEndpoint !== undefined) registerMetricsEndpoint(app, options.metricsEndpoint);
  if (options.extend !== undefined) await options.extend(app);
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  return app;

  function registerRoute(route: RouteDefinition<T>): void {
    const validator = route.body === undefined ? undefined : new RouteBodyValidator(route.body);
    const versions = route.versions ?? DEFAULT_RESOURCE_VERSIONS;
    const access = route.access;
    for (const path of route.paths) {
      const bodyVersions = validator?.versions ?? [];
      if (bodyVersions.length > 0 && (!servesVersions(path) || versions.some((version) => !bodyVersions.includes(version)))) {
        throw new Error(
          `route ${route.name}: a body schema per version needs ${path} to be an Atlas v2 path, with a schema for each version`,
        );
      }
      app.route({
        method: route.method,
        url: path,
        config: { authorize: (request) => authorize(request, access), routeName: route.name },
        ...(route.bodyLimitBytes === undefined ? {} : { bodyLimit: route.bodyLimitBytes }),
        handler: async (request, reply) => {
          const flags = parseWireFlags(request.query as Record<string, unknown>);
          const mediaTypes = negotiate(path, request.headers.accept, request.headers['content-type'], versions);
          const body = validator === undefined ? undefined : validator.validate(request.body, mediaTypes.bodyVersion);
          const state = stateOf<T>(request);
          const result = await route.handle({
            params: request.params as Record<string, string>,
            query: flattenQuery(request.query),
            body,
            clientIp: state.clientIp,
            origin: `${request.protocol}://${request.host}`,
            log: request.log,
            // What the steps established for this route's access: its organization, project and key.
            ...grantedAccess(state, access.kind),
          });
          return send(reply, result.status, result.body, mediaTypes.response, flags);
        },
      });
    }
  }
}

/**
 * The methods a fixed path does not take but a parametric path of the same shape does, e.g. GET
 * `.../liveMigrations/validate` beside GET `.../liveMigrations/:liveMigrationId`. Fastify routes each
 * method on its own, so it would hand `validate` to the migration route as an id; registered on the fixed
 * path, they reach the not-found handler, which answers 405 with the fixed resource's Allow, as it does
 * for any other method that resource does not take.
 */
export function shadowedMethods(routes: readonly Pick<RouteDefinition, 'method' | 'paths'>[]): { method: string; path: string }[] {
  const registered = routes.flatMap((route) => route.paths.map((path) => ({ method: route.method, path })));
  const taken = new Set(registered.map(({ method, path }) => `${method} ${path}`));
  const shadows = new Map<string, { method: string; path: string }>();
  for (const fixed of new Set(registered.map(({ path }) => path))) {
    const fixedSegments = fixed.split('/');
    for (const { method, path } of registered) {
      const segments = path.split('/');
      if (segments.length !== fixedSegments.length || taken.has(`${method} ${fixed}`)) continue;
      const covers = segments.every(
        (segment, i) => segment === fixedSegments[i] || (segment.startsWith(':') && !fixedSegments[i]?.startsWith(':')),
      );
      const narrower = segments.some((segment, i) => segment.startsWith(':') && !fixedSegments[i]?.startsWith(':'));
      if (covers && narrower) shadows.set(`${method} ${fixed}`, { method, path: fixed });
    }
  }
  return [...shadows.values()];
}

/**
 * The HTTP or HTTPS server under Fastify (HTTPS refuses TLS before 1.2), with the timeouts Fastify sets
 * on servers it makes itself, and responses that write header names in their wire case. `early` may
 * answer a request before Fastify does; it returns whether it did.
 */
function serverFactory(
  tls: { key: Buffer; cert: Buffer } | undefined,
  early: (request: IncomingMessage, response: ServerResponse) => boolean,
) {
  return (handler: (request: IncomingMessage, response: ServerResponse) => void): Server => {
    const listener = (request: IncomingMessage, response: ServerResponse) => {
      if (!early(request, response)) handler(request, response);
    };
    const server =
      tls === undefined
        ? createHttpServerOnly({ ServerResponse: WireCasedResponse }, listener)
        : createHttpsServer({ key: tls.key, cert: tls.cert, minVersion: 'TLSv1.2', ServerResponse: WireCasedResponse }, listener);
    server.requestTimeout = 30_000;
    server.keepAliveTimeout = 65_000;
    server.setTimeout(60_000);
    return server;
  };
}

/** Request ids for the logs: unique per process (a random prefix) and cheap (a counter, not a UUID). */
const requestIdPrefix = randomUUID().slice(0, 8);
let requestCounter = 0;

function nextRequestId(): string {
  requestCounter = (requestCounter + 1) % Number.MAX_SAFE_INTEGER;
  return `${requestIdPrefix}-${requestCounter.toString(36)}`;
}

function flattenQuery(query: unknown): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  if (query === null || typeof query !== 'object') return out;
  for (const [key, value] of Object.entries(query as Record<string, unknown>)) {
    out[key] = Array.isArray(value) ? String(value[value.length - 1]) : typeof value === 'string' ? value : undefined;
  }
  return out;
}
