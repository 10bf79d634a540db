import type { Socket } from 'node:net';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, apiErrors } from './api-error.js';
import { replyWithError, STRICT_TRANSPORT_SECURITY, VARY } from './reply.js';
import type { RouteDefinition } from './route.js';
import { errorBody, JSON_MEDIA_TYPE, readWireFlags, serializeBody } from './wire-format.js';

/**
 * The one error boundary of the Public API: whatever a step, a handler or the framework throws becomes a
 * catalogue error, is logged by what it is, and is written by the reply step.
 */

/**
 * Framework and unexpected errors as catalogue errors; nothing internal reaches the client. The one
 * mapping, for the API and the web pages alike. `bodyLimitBytes` is the limit the refused body was over.
 */
export function fromFrameworkError(error: unknown, bodyLimitBytes: number): ApiError {
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
      return apiErrors.invalidUrl();
    default:
      if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) return apiErrors.invalidRequest(statusCode);
      return apiErrors.unexpected();
  }
}

/**
 * Logs an error that was answered as `answered`. A 4xx is an answer, not an event. A 5xx the catalogue
 * built on purpose (the target could not be reached, did not answer in time, answered garbage) is an
 * expected outcome of calling another service: a warning with its code. Only a fault (anything that is
 * not a catalogue error, or UNEXPECTED_ERROR) is logged at error, with its stack.
 */
export function logAnsweredError(log: FastifyBaseLogger, error: unknown, answered: ApiError): void {
  if (answered.status < 500) return;
  if (error instanceof ApiError && error.errorCode !== 'UNEXPECTED_ERROR') {
    log.warn(
      { event: 'upstream-failure', errorCode: error.errorCode, status: error.status, detail: error.detail },
      'a service livelink calls failed',
    );
    return;
  }
  log.error({ err: error }, 'unexpected error');
}

export interface ErrorHandlerOptions {
  routes: readonly RouteDefinition[];
  bodyLimitBytes: number;
}

/** The error handler and the not-found handler of the Public API's server. */
export function errorHandlers(options: ErrorHandlerOptions): {
  handleError: (error: unknown, request: FastifyRequest, reply: FastifyReply) => FastifyReply;
  handleNotFound: (request: FastifyRequest, reply: FastifyReply) => never;
} {
  const allowedMethods = methodsByPath(options.routes);
  return {
    handleError(error, request, reply) {
      const path = pathOf(request.url);
      const allowed = error instanceof ApiError ? [] : allowedMethods(path);
      // Fastify refuses some methods it does not route (QUERY without a Content-Type) before the not-found
      // handler; on a resource that exists that is still a method it does not take.
      const apiError =
        allowed.length > 0 && !allowed.includes(request.method)
          ? methodNotAllowed(reply, request.method, path, allowed)
          : fromFrameworkError(error, request.routeOptions.bodyLimit ?? options.bodyLimitBytes);
      logAnsweredError(request.log, error, apiError);
      return replyWithError(reply, apiError, readWireFlags(request.query as Record<string, unknown> | undefined), path);
    },
    handleNotFound(request, reply) {
      const path = pathOf(request.url);
      // A resource that exists, asked with a method it does not take: 405 with Allow, as a Java API answers.
      const allowed = allowedMethods(path);
      if (allowed.length > 0) throw methodNotAllowed(reply, request.method, path, allowed);
      throw apiErrors.resourceNotFound(path);
    },
  };
}

function pathOf(url: string): string {
  return url.split('?')[0] ?? url;
}

function methodNotAllowed(reply: FastifyReply, method: string, path: string, allowed: readonly string[]): ApiError {
  reply.header('allow', allowed.join(', '));
  return apiErrors.methodNotAllowed(method, path);
}

/**
 * The methods each path of the route table takes (GET implies HEAD), as a lookup from a concrete path.
 * Only used on the error paths, so a linear scan of the table costs nothing on real routes.
 */
function methodsByPath(routes: readonly RouteDefinition[]): (path: string) => string[] {
  const patterns = routes.flatMap((route) =>
    route.paths.map((path) => ({
      pattern: new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z]+/g, '[^/]+')}/?$`),
      // Which segments are fixed ('s') and which are parameters ('p'): the router prefers a fixed segment,
      // so `/liveMigrations/validate` is the validate resource, not a migration whose id is "validate".
      shape: path
        .split('/')
        .map((segment) => (segment.startsWith(':') ? 'p' : 's'))
        .join(''),
      methods: route.method === 'GET' ? ['GET', 'HEAD'] : [route.method],
    })),
  );
  return (path) => {
    const matching = patterns.filter(({ pattern }) => pattern.test(path));
    // 's' sorts after 'p': the largest shape is the resource the router would pick for this path.
    const chosen = matching.reduce<string | undefined>((best, { shape }) => (best === undefined || shape > best ? shape : best), undefined);
    const methods = new Set<string>();
    for (const { shape, methods: routeMethods } of matching) {
      if (shape === chosen) for (const method of routeMethods) methods.add(method);
    }
    return [...methods].sort();
  };
}

/**
 * A request Node's HTTP parser refused (malformed request line, headers over the size limit, a client
 * too slow to send its request) never reaches a route; it still gets the error format and the headers
 * every answer carries, written here on the socket.
 */
export function clientErrorWriter(serviceVersionHeader: string): (error: Error & { code?: string }, socket: Socket) => void {
  return function writeClientError(error, socket) {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const apiError =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? apiErrors.requestHeadersTooLarge()
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? apiErrors.requestTimeout()
          : apiErrors.invalidHttp();
    const body = serializeBody(errorBody(apiError), false);
    if (socket.writable) {
      socket.write(
        `HTTP/1.1 ${apiError.status} ${apiError.reason}\r\n` +
          `Strict-Transport-Security: ${STRICT_TRANSPORT_SECURITY}\r\n` +
          `X-MongoDB-Service-Version: ${serviceVersionHeader}\r\n` +
          `Vary: ${VARY}\r\n` +
          `Content-Type: ${JSON_MEDIA_TYPE}\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\n` +
          `Connection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy();
  };
}
