import type { FastifyInstance } from 'fastify';
import { isLoopbackAddress } from '../shared/access-list.js';
import { apiErrors } from './api-error.js';
import { stateOf } from './request-state.js';

/**
 * Who may read `/metrics`. Prometheus scrapes without digest, and the metrics carry ids (organizations,
 * projects, migrations) but no secret; still, they describe the traffic of every tenant, so by default only
 * a client on this machine (a Prometheus or an agent beside livelink) reads them: `loopback`. `public`
 * serves them to anyone who can reach the port (a Prometheus elsewhere on a private network); `off` serves
 * no `/metrics` at all.
 */
export type MetricsAccess = 'loopback' | 'public' | 'off';

export interface MetricsEndpointOptions {
  access: MetricsAccess;
  /** The exposition's Content-Type (the metrics library's). */
  contentType: string;
  render(): Promise<string>;
}

/**
 * `/metrics` in the Prometheus text format. The caller's address is the one the edge resolved (a trusted
 * proxy's X-Forwarded-For counts), so a reverse proxy on this machine does not make every client local.
 */
export function registerMetricsEndpoint(app: FastifyInstance, options: MetricsEndpointOptions): void {
  if (options.access === 'off') return;
  app.get('/metrics', { config: { routeName: 'metrics' } }, async (request, reply) => {
    const ip = stateOf(request).clientIp;
    if (options.access === 'loopback' && !isLoopbackAddress(ip)) throw apiErrors.metricsNotAllowed(ip);
    const text = await options.render();
    return reply.code(200).header('content-type', options.contentType).header('cache-control', 'no-store').send(Buffer.from(text, 'utf8'));
  });
}
