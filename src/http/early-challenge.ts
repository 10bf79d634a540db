import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { apiErrors } from './api-error.js';
import type { ResponseMeter } from './edge-metrics.js';
import { errorBytes, STRICT_TRANSPORT_SECURITY, VARY } from './reply.js';
import { challengeContentType } from './wire-format.js';

/**
 * What the early challenge takes: an /api/ path of unreserved characters, no query, no percent-encoding
 * (which Fastify may refuse as a bad URL before authentication), short enough for every route parameter.
 */
const PLAIN_API_URL = /^\/api\/[A-Za-z0-9._~/-]*$/;
const MAX_EARLY_URL_LENGTH = 200;

export interface EarlyChallengeOptions {
  /** Mints the WWW-Authenticate value. */
  challenge(stale: boolean): string;
  serviceVersionHeader: string;
  /** False while the framework must see every request: request logging is on, or the server is closing. */
  mayAnswer(): boolean;
  /** Where each answer is counted: the challenge's meter for the request's method (edge-metrics.ts). */
  meter(method: string): ResponseMeter;
}

/**
 * The digest challenge, answered before Fastify sees the request. It is the first answer of nearly every
 * client call (curl, mongocli and the Go client take one per call), and routing, hooks and the reply cost
 * several times the answer. Only the plain case is taken here: no Authorization header, an /api/ path of
 * plain characters and no query, so the bytes are exactly those the framework path sends
 * (test/http/public-api-edge.test.ts compares the two). Everything else goes on to Fastify.
 *
 * Returns whether it answered.
 */
export function earlyChallenge(options: EarlyChallengeOptions): (request: IncomingMessage, response: ServerResponse) => boolean {
  const body = errorBytes(apiErrors.notAuthenticated(''), { pretty: false, envelope: false });
  const bodyLength = String(body.length);
  const { serviceVersionHeader } = options;
  return function answerChallengeEarly(request, response) {
    if (request.headers.authorization !== undefined || !options.mayAnswer()) return false;
    const url = request.url ?? '';
    if (url.length > MAX_EARLY_URL_LENGTH || !PLAIN_API_URL.test(url)) return false;
    const startedAt = performance.now();
    // The framework path's headers, in its order and in the wire case, named again rather than spread
    // from a shared object (the spread cost a fifth of this path's throughput). A flat array of names and
    // values, which Node writes as it is.
    response.writeHead(401, [
      'Strict-Transport-Security',
      STRICT_TRANSPORT_SECURITY,
      'X-MongoDB-Service-Version',
      serviceVersionHeader,
      'Vary',
      VARY,
      'WWW-Authenticate',
      options.challenge(false),
      'Content-Type',
      challengeContentType(url),
      'Content-Length',
      bodyLength,
    ]);
    response.end(body);
    options.meter(request.method ?? 'GET').answered(401, (performance.now() - startedAt) / 1000);
    return true;
  };
}
