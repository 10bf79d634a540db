import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, onResponseHookHandler } from 'fastify';
import type { DigestOutcome } from './digest/digest-authenticator.js';

/**
 * What the edge counts, in its own terms; the composition root binds it to the metrics registry, so the
 * edge knows nothing of Prometheus.
 */
export interface EdgeMetrics {
  /** The meter of one route's answers, asked once when the route is registered, never per request. */
  responses(route: string, method: string): ResponseMeter;
  /** A digest answer that did not authenticate (the first request of a call, without credentials, is not one). */
  digestFailure(reason: DigestFailureReason): void;
}

export interface ResponseMeter {
  answered(status: number, seconds: number): void;
}

/** Why a digest answer failed: the authenticator's reasons, and the throttle refusing to check it at all. */
export type DigestFailureReason = Exclude<Extract<DigestOutcome, { kind: 'challenge' }>['reason'], 'missing'> | 'throttled';

export const DIGEST_FAILURE_REASONS: readonly DigestFailureReason[] = [
  'malformed',
  'wrong-realm',
  'wrong-uri',
  'unknown-nonce',
  'bad-response',
  'expired',
  'nonce-used-up',
  'replay',
  'throttled',
];

/**
 * The route label of the digest challenge sent to an /api/ request without credentials: the first answer of
 * nearly every client call. Such a request is answered before routing when it can be (early-challenge.ts),
 * so it is counted under this one label whichever path answered it, rather than under a route only some of
 * them know.
 */
export const CHALLENGE_ROUTE = 'digest-challenge';
/** The route label of every answer to a path no route serves: one label, however many such paths are asked. */
export const UNMATCHED_ROUTE = 'unmatched';

export const NO_EDGE_METRICS: EdgeMetrics = {
  responses: () => ({ answered: () => undefined }),
  digestFailure: () => undefined,
};

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route table's name of the route, its label in the metrics (other routes are labelled by path template). */
    routeName?: string;
  }
}

/**
 * Counts every answer once, after it was sent: each route gets its own onResponse hook, made when the
 * route is registered with the route's meter already bound, so a request costs one counter increment
 * and one histogram observation and no lookup. Paths no route serves share one meter. Must be called
 * before any route is registered.
 */
export function meterResponses(app: FastifyInstance, metrics: EdgeMetrics, apiPrefix: string): void {
  const challengeMeter = metersByMethod(metrics, CHALLENGE_ROUTE);
  const unmatchedMeter = metersByMethod(metrics, UNMATCHED_ROUTE);

  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    // Fastify registers one route per method; a list is only ever one method here, but counted right either way.
    const method = methods.length === 1 ? (methods[0] as string) : methods.join(',');
    const meter = metrics.responses(route.config?.routeName ?? route.url, method);
    const challenge = route.url.startsWith(apiPrefix) ? challengeMeter(method) : undefined;
    const hook: onResponseHookHandler = function countAnswer(request, reply, done) {
      record(challenge !== undefined && isChallenge(request, reply) ? challenge : meter, reply);
      done();
    };
    route.onResponse =
      route.onResponse === undefined ? hook : [...(Array.isArray(route.onResponse) ? route.onResponse : [route.onResponse]), hook];
  });

  // Answers on the not-found path (no route's hooks run there): a global hook, which returns at once on routes.
  app.addHook('onResponse', function countUnmatched(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) {
    if (request.is404) {
      const challenge = request.url.startsWith(apiPrefix) && isChallenge(request, reply);
      record((challenge ? challengeMeter : unmatchedMeter)(request.method), reply);
    }
    done();
  });
}

/**
 * The meters of one route label, one a method, each made on first use. Bounded: Node's parser accepts
 * only the methods it knows.
 */
export function metersByMethod(metrics: EdgeMetrics, route: string): (method: string) => ResponseMeter {
  const meters = new Map<string, ResponseMeter>();
  return (method) => {
    let meter = meters.get(method);
    if (meter === undefined) {
      meter = metrics.responses(route, method);
      meters.set(method, meter);
    }
    return meter;
  };
}

function isChallenge(request: FastifyRequest, reply: FastifyReply): boolean {
  return reply.statusCode === 401 && request.headers.authorization === undefined;
}

function record(meter: ResponseMeter, reply: FastifyReply): void {
  meter.answered(reply.statusCode, reply.elapsedTime / 1000);
}
