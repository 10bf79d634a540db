import { randomUUID } from 'node:crypto';
import { createServer as createHttpServerOnly, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { accessListAllows } from '../features/api-keys/access-list.js';
import { keyMeetsRequirement, type ApiKey } from '../features/api-keys/api-key.js';
import type { ApiKeyService } from '../features/api-keys/api-key-service.js';
import type { Organization, Project } from '../features/organizations/organization.js';
import { isObjectId } from '../persistence/ids.js';
import { ApiError, apiErrors } from './api-error.js';
import { BodyValidator } from './body-validation.js';
import { clientAddress } from './client-address.js';
import { LazyRequestLogger } from './lazy-request-logger.js';
import type { DigestAuthenticator } from './digest/digest-authenticator.js';
import type { RouteAccess, RouteDefinition } from './route.js';
import { contentTypeFor, envelop, errorBody, JSON_MEDIA_TYPE, parseWireFlags, readWireFlags, serializeBody, type ResponseMediaType, type WireFlags } from './wire-format.js';

export interface ServiceVersion {
  gitHash: string;
  versionString: string;
}

/** What the edge needs to know about organizations and projects to enforce a route's access. */
export interface AccessDirectory {
  getOrganization(id: string): Promise<Organization | undefined>;
  getProject(id: string): Promise<Project | undefined>;
}

export interface HttpServerOptions {
  routes: readonly RouteDefinition[];
  authenticator: DigestAuthenticator;
  apiKeys: ApiKeyService;
  directory: AccessDirectory;
  logger: FastifyBaseLogger;
  serviceVersion: ServiceVersion;
  trustedProxies: readonly string[];
  bodyLimitBytes: number;
  logRequests: boolean;
  /** PEM key and certificate: serve HTTPS, TLS 1.2 and later only. */
  tls?: { key: Buffer; cert: Buffer };
  /** Registers routes outside the Public API (web pages), inside the same server and error handling. */
  extend?: (app: FastifyInstance) => Promise<void>;
}

interface RequestState {
  apiKey: ApiKey | undefined;
  /** The key's own organization, when authentication had to read it (require-access-list). */
  keyOrganization?: Organization | undefined;
  organization: Organization | undefined;
  project: Project | undefined;
  clientIp: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    livelink: RequestState;
  }
  interface FastifyContextConfig {
    route?: RouteDefinition;
  }
}

/** Paths under this prefix are the Public API: authenticated before anything else is looked at. */
const API_PREFIX = '/api/';

/** Headers every answer carries. */
const STRICT_TRANSPORT_SECURITY = 'max-age=300';
const VARY = 'Accept-Encoding';

/**
 * What the early challenge takes: an /api/ path of unreserved characters, no query, no percent-encoding
 * (which Fastify may refuse as a bad URL before authentication), short enough for every route parameter.
 */
const PLAIN_API_URL = /^\/api\/[A-Za-z0-9._~/-]*$/;
const MAX_EARLY_URL_LENGTH = 200;

/**
 * The HTTP edge of both roles. The order of work on every request is fixed here:
 * digest authentication (before routing results, body parsing or validation are used), the key's
 * access list, the route's declared role, body validation, the handler, and the wire format. Errors
 * from any step go through the one error handler below.
 */
export async function createHttpServer(options: HttpServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger,
    logController: new LogController({ disableRequestLogging: !options.logRequests }),
    bodyLimit: options.bodyLimitBytes,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    genReqId: nextRequestId,
    childLoggerFactory: LazyRequestLogger.factory,
    serverFactory: serverFactory(options.tls, answerChallengeEarly),
    return503OnClosing: true,
    clientErrorHandler: writeClientError,
    frameworkErrors: (error, request, reply) => {
      void handleError(error, request, reply);
    },
  });

  const serviceVersionHeader = `gitHash=${options.serviceVersion.gitHash}; versionString=${options.serviceVersion.versionString}`;
  const challengeBody = errorBytes(apiErrors.notAuthenticated(''), { pretty: false, envelope: false });
  const challengeBodyLength = String(challengeBody.length);
  // Set when the server starts closing: from then on Fastify answers every request (503).
  let closing = false;

  app.decorateRequest('livelink', null as unknown as RequestState);

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
    // The headers every answer carries, set first so that every path, error or not, has them.
    reply.header('strict-transport-security', STRICT_TRANSPORT_SECURITY);
    reply.header('x-mongodb-service-version', serviceVersionHeader);
    reply.header('vary', VARY);
    request.livelink = {
      apiKey: undefined,
      organization: undefined,
      project: undefined,
      clientIp: clientAddress(request.socket.remoteAddress, request.headers['x-forwarded-for'], options.trustedProxies),
    };
    if (!request.url.startsWith(API_PREFIX)) return;
    try {
      await authenticate(request);
      const route = request.routeOptions.config.route;
      if (route !== undefined) await authorize(request, route.access);
    } catch (error) {
      // Answered here rather than thrown: the digest challenge is the first answer of nearly every
      // client call, and Fastify's error path costs far more than sending the bytes.
      if (error instanceof ApiError) return replyWithError(reply, error, readWireFlags(request.query as Record<string, unknown> | undefined));
      throw error;
    }
  });

  app.setErrorHandler((error: FastifyError | ApiError, request, reply) => handleError(error, request, reply));
  const allowedMethods = methodsByPath(options.routes);
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? request.url;
    // A resource that exists, asked with a method it does not take: 405 with Allow, as a Java API answers.
    const allowed = allowedMethods(path);
    if (allowed.length > 0) throw methodNotAllowed(reply, request.method, path, allowed);
    throw apiErrors.resourceNotFound(path);
  });

  for (const route of options.routes) registerRoute(app, route);
  if (options.extend !== undefined) await options.extend(app);
  app.addHook('preClose', async () => {
    closing = true;
  });
  return app;

  /**
   * The digest challenge, answered before Fastify sees the request. It is the first answer of nearly
   * every client call (curl, mongocli and the Go client take one per call), and routing, hooks and the
   * reply cost several times the answer. Only the plain case is taken here: no Authorization header, an
   * /api/ path of plain characters and no query, so the bytes are exactly those the onRequest hook above
   * sends (test/http/public-api-edge.test.ts compares the two). Everything else goes on to Fastify, and
   * so does everything while request logging is on, so that the log misses nothing.
   */
  function answerChallengeEarly(request: IncomingMessage, response: ServerResponse): boolean {
    if (request.headers.authorization !== undefined || closing || options.logRequests) return false;
    const url = request.url ?? '';
    if (url.length > MAX_EARLY_URL_LENGTH || !PLAIN_API_URL.test(url)) return false;
    // The same headers as the onRequest hook sets, named again rather than spread from a shared object:
    // the spread cost a fifth of this path's throughput.
    response.writeHead(401, {
      'strict-transport-security': STRICT_TRANSPORT_SECURITY,
      'x-mongodb-service-version': serviceVersionHeader,
      vary: VARY,
      'www-authenticate': options.authenticator.challenge(false),
      'content-type': JSON_MEDIA_TYPE,
      'content-length': challengeBodyLength,
    });
    response.end(challengeBody);
    return true;
  }

  async function authenticate(request: FastifyRequest): Promise<void> {
    const outcome = await options.authenticator.authenticate({
      method: request.method,
      target: request.url,
      authorization: request.headers.authorization,
      address: request.livelink.clientIp,
    });
    if (outcome.kind === 'throttled') {
      request.log.warn({ event: 'authentication-throttled', publicKey: outcome.publicKey, ip: request.livelink.clientIp }, 'failed answers throttled');
      throw apiErrors.tooManyFailedAttempts(outcome.retryAfterSeconds);
    }
    if (outcome.kind === 'challenge' && outcome.reason === 'wrong-uri') {
      // The answer is for another request target: a malformed request rather than bad credentials (D-09).
      throw new ApiError(400, 'INVALID_REQUEST', 'The uri of the Authorization header is not the request target.');
    }
    if (outcome.kind !== 'authenticated') {
      if (outcome.reason !== 'missing') {
        request.log.info({ event: 'authentication-failed', reason: outcome.reason, ip: request.livelink.clientIp }, 'digest authentication failed');
      }
      throw apiErrors.notAuthenticated(options.authenticator.challenge(outcome.stale));
    }
    const record = await options.apiKeys.findForAuthentication(outcome.publicKey);
    if (record === undefined) throw apiErrors.notAuthenticated(options.authenticator.challenge(false));
    const key = record.apiKey;
    request.livelink.apiKey = key;
    const ip = request.livelink.clientIp;
    if (key.accessList.length > 0 && !accessListAllows(key.accessList, ip)) {
      request.log.info({ event: 'access-list-denied', publicKey: key.publicKey, ip }, 'caller not on the key access list');
      throw apiErrors.ipNotOnAccessList(ip);
    }
    if (key.accessList.length === 0 && key.orgId !== null) {
      const keyOrg = await options.directory.getOrganization(key.orgId);
      // Kept: the route usually concerns the key's own organization, which then is not read twice.
      request.livelink.keyOrganization = keyOrg;
      if (keyOrg?.requireAccessList === true) throw apiErrors.orgRequiresAccessList(ip);
    }
  }

  /**
   * A key without the role, a key of another organization and an organization that does not exist all
   * get the same 401, so a key cannot probe which organizations exist. Only a global key the route
   * admits, which may see every organization, is told ORG_NOT_FOUND.
   */
  async function authorize(request: FastifyRequest, access: RouteAccess): Promise<void> {
    try {
      await checkAccess(request, access);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        const params = request.params as Record<string, string | undefined>;
        request.log.info(
          { event: 'authorization-denied', publicKey: request.livelink.apiKey?.publicKey, orgId: params['orgId'], groupId: params['groupId'], ip: request.livelink.clientIp },
          'the key may not call this route',
        );
      }
      throw error;
    }
  }

  async function checkAccess(request: FastifyRequest, access: RouteAccess): Promise<void> {
    const key = request.livelink.apiKey;
    if (access.kind === 'public' || access.kind === 'authenticated') return;
    if (key === undefined) throw apiErrors.userUnauthorized();
    const params = request.params as Record<string, string | undefined>;
    // Only a global key whose role the route admits may learn that an organization or project is missing.
    const globallyAdmitted = keyMeetsRequirement(key, access.role, undefined);
    switch (access.kind) {
      case 'global':
        if (!keyMeetsRequirement(key, access.role, undefined)) throw apiErrors.userUnauthorized();
        return;
      case 'organization': {
        const orgId = params['orgId'] ?? '';
        if (!isObjectId(orgId)) throw apiErrors.invalidOrgId(orgId);
        const known = request.livelink.keyOrganization;
        const organization = known?.id === orgId ? known : await options.directory.getOrganization(orgId);
        if (organization === undefined) throw globallyAdmitted ? apiErrors.orgNotFound(orgId) : apiErrors.userUnauthorized();
        if (!keyMeetsRequirement(key, access.role, orgId)) throw apiErrors.userUnauthorized();
        request.livelink.organization = organization;
        return;
      }
      case 'project': {
        const groupId = params['groupId'] ?? '';
        if (!isObjectId(groupId)) throw apiErrors.invalidGroupId(groupId);
        const project = await options.directory.getProject(groupId);
        if (project === undefined) throw globallyAdmitted ? apiErrors.groupNotFound(groupId) : apiErrors.userUnauthorized();
        if (!keyMeetsRequirement(key, access.role, project.orgId)) throw apiErrors.userUnauthorized();
        request.livelink.project = project;
        request.livelink.organization = await options.directory.getOrganization(project.orgId);
        return;
      }
    }
  }

  function registerRoute(instance: FastifyInstance, route: RouteDefinition): void {
    const validator = route.body === undefined ? undefined : new BodyValidator(route.body);
    for (const path of route.paths) {
      const mediaType: ResponseMediaType = path.startsWith('/api/atlas/v2/') ? 'atlas-2023-01-01' : 'json';
      instance.route({
        method: route.method,
        url: path,
        config: { route },
        ...(route.bodyLimitBytes === undefined ? {} : { bodyLimit: route.bodyLimitBytes }),
        handler: async (request, reply) => {
          const flags = parseWireFlags(request.query as Record<string, unknown>);
          const body = validator === undefined ? undefined : validator.validate(request.body);
          const state = request.livelink;
          const result = await route.handle({
            params: request.params as Record<string, string>,
            query: flattenQuery(request.query),
            body,
            apiKey: state.apiKey,
            organization: state.organization,
            project: state.project,
            clientIp: state.clientIp,
            origin: `${request.protocol}://${request.host}`,
            log: request.log,
          });
          return send(reply, result.status, result.body, mediaType, flags);
        },
      });
    }
  }

  function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const path = request.url.split('?')[0] ?? request.url;
    const allowed = error instanceof ApiError ? [] : allowedMethods(path);
    // Fastify refuses some methods it does not route (QUERY without a Content-Type) before the not-found
    // handler; on a resource that exists that is still a method it does not take.
    const apiError =
      allowed.length > 0 && !allowed.includes(request.method)
        ? methodNotAllowed(reply, request.method, path, allowed)
        : toApiError(error, request.routeOptions.bodyLimit ?? options.bodyLimitBytes);
    if (apiError.status >= 500) request.log.error({ err: error }, 'unexpected error');
    return replyWithError(reply, apiError, readWireFlags(request.query as Record<string, unknown> | undefined));
  }
}

function methodNotAllowed(reply: FastifyReply, method: string, path: string, allowed: readonly string[]): ApiError {
  reply.header('allow', allowed.join(', '));
  return apiErrors.methodNotAllowed(method, path);
}

/**
 * The methods each path of the route table takes (GET implies HEAD), as a lookup from a concrete path.
 * Only used on the not-found path, so a linear scan of the table costs nothing on real routes.
 */
function methodsByPath(routes: readonly RouteDefinition[]): (path: string) => string[] {
  const patterns = routes.flatMap((route) =>
    route.paths.map((path) => ({
      pattern: new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z]+/g, '[^/]+')}/?$`),
      methods: route.method === 'GET' ? ['GET', 'HEAD'] : [route.method],
    })),
  );
  return (path) => {
    const methods = new Set<string>();
    for (const { pattern, methods: routeMethods } of patterns) {
      if (pattern.test(path)) for (const method of routeMethods) methods.add(method);
    }
    return [...methods].sort();
  };
}

/**
 * The HTTP or HTTPS server under Fastify (HTTPS refuses TLS before 1.2), with the timeouts Fastify sets
 * on servers it makes itself. `early` may answer a request before Fastify does; it returns whether it did.
 */
function serverFactory(tls: { key: Buffer; cert: Buffer } | undefined, early: (request: IncomingMessage, response: ServerResponse) => boolean) {
  return (handler: (request: IncomingMessage, response: ServerResponse) => void): Server => {
    const listener = (request: IncomingMessage, response: ServerResponse) => {
      if (!early(request, response)) handler(request, response);
    };
    const server = tls === undefined ? createHttpServerOnly(listener) : createHttpsServer({ key: tls.key, cert: tls.cert, minVersion: 'TLSv1.2' }, listener);
    server.requestTimeout = 30_000;
    server.keepAliveTimeout = 65_000;
    server.setTimeout(60_000);
    return server as Server;
  };
}

/**
 * The one place a response is written. With `envelope=true` a 204 becomes a 200 whose body carries
 * `"status": 204`: an envelope exists for clients that cannot read the status line, and a 204 has no body.
 */
function send(reply: FastifyReply, status: number, body: unknown, mediaType: ResponseMediaType, flags: WireFlags): FastifyReply {
  if (status === 204 && !flags.envelope) return reply.code(204).send();
  const payload = flags.envelope ? envelop(status === 204 ? null : body, status) : body;
  return reply
    .code(status === 204 ? 200 : status)
    .header('content-type', status >= 400 ? 'application/json' : contentTypeFor(mediaType))
    // A Buffer, so that Fastify sends the Content-Type as set (it appends a charset to strings).
    .send(Buffer.from(serializeBody(payload, flags.pretty), 'utf8'));
}

/** Request ids for the logs: unique per process (a random prefix) and cheap (a counter, not a UUID). */
const requestIdPrefix = randomUUID().slice(0, 8);
let requestCounter = 0;

function nextRequestId(): string {
  requestCounter = (requestCounter + 1) % Number.MAX_SAFE_INTEGER;
  return `${requestIdPrefix}-${requestCounter.toString(36)}`;
}

/**
 * Error bodies repeat (every digest challenge sends the same one), so each distinct body is
 * serialized once. Bounded, and keyed by everything that shapes the bytes.
 */
const serializedErrors = new Map<string, Buffer>();

function replyWithError(reply: FastifyReply, error: ApiError, flags: WireFlags): FastifyReply {
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  return sendError(reply, error, flags);
}

function sendError(reply: FastifyReply, error: ApiError, flags: WireFlags): FastifyReply {
  return reply.code(error.status).header('content-type', JSON_MEDIA_TYPE).send(errorBytes(error, flags));
}

function errorBytes(error: ApiError, flags: WireFlags): Buffer {
  const key = `${error.status}\u0000${error.errorCode}\u0000${error.detail}\u0000${error.parameters.join('\u0000')}\u0000${flags.pretty}\u0000${flags.envelope}`;
  let bytes = serializedErrors.get(key);
  if (bytes === undefined) {
    const body = errorBody(error);
    bytes = Buffer.from(serializeBody(flags.envelope ? envelop(body, error.status) : body, flags.pretty), 'utf8');
    if (serializedErrors.size >= 1000) serializedErrors.clear();
    serializedErrors.set(key, bytes);
  }
  return bytes;
}

/** Framework and unexpected errors become catalogue errors; nothing internal reaches the client. */
function toApiError(error: unknown, bodyLimitBytes: number): ApiError {
  if (error instanceof ApiError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const statusCode = (error as { statusCode?: unknown } | null)?.statusCode;
  switch (code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return apiErrors.payloadTooLarge(bodyLimitBytes);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return apiErrors.unsupportedMediaType('unknown');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return apiErrors.invalidJson();
    case 'FST_ERR_BAD_URL':
      return new ApiError(400, 'INVALID_URL', 'The request URL is not valid.');
    default:
      if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
        return new ApiError(statusCode, 'INVALID_REQUEST', 'The request is not valid.');
      }
      return apiErrors.unexpected();
  }
}

/**
 * A request Node's HTTP parser refused (malformed request line, headers over the size limit, a client
 * too slow to send its request) never reaches a route; it still gets the error format.
 */
function writeClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const apiError =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? new ApiError(431, 'REQUEST_HEADER_FIELDS_TOO_LARGE', 'The request headers are larger than the server accepts.')
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new ApiError(408, 'REQUEST_TIMEOUT', 'The request was not received in time.')
        : new ApiError(400, 'INVALID_REQUEST', 'The request is not valid HTTP.');
  const body = serializeBody(errorBody(apiError), false);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${apiError.status} ${apiError.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

function flattenQuery(query: unknown): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  if (query === null || typeof query !== 'object') return out;
  for (const [key, value] of Object.entries(query as Record<string, unknown>)) {
    out[key] = Array.isArray(value) ? String(value[value.length - 1]) : typeof value === 'string' ? value : undefined;
  }
  return out;
}
