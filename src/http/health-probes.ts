import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { apiErrors } from './api-error.js';

/**
 * `/livez` and `/readyz`, the way Kubernetes' own components answer them: plain text, `ok` when every check
 * passes, and on a failure (or with `?verbose`) one line a check, `[+]name ok` or `[-]name failed: why`,
 * then `livez|readyz check passed|failed`. `/readyz/<check>` runs one check. No authentication, like
 * `/health`: a probe carries no credentials, and the answers name no secret.
 */

/** One readiness check. Resolves to undefined when it passes, or to why it fails, in words safe to show anyone. */
export interface ReadinessCheck {
  name: string;
  run(): Promise<string | undefined>;
}

export interface HealthProbeOptions {
  readiness: readonly ReadinessCheck[];
  /** How long a check may take before it counts as failed: a probe that hangs tells the prober nothing. */
  checkTimeoutMs: number;
}

const TEXT = 'text/plain; charset=utf-8';

interface CheckResult {
  name: string;
  failure: string | undefined;
}

export function registerHealthProbes(app: FastifyInstance, options: HealthProbeOptions): void {
  // Liveness touches nothing but the process: a database outage must not get a node restarted.
  app.get('/livez', { config: { routeName: 'livez' } }, (request, reply) =>
    answer(request, reply, 'livez', [{ name: 'ping', failure: undefined }]),
  );
  app.get('/readyz', { config: { routeName: 'readyz' } }, async (request, reply) =>
    answer(request, reply, 'readyz', await Promise.all(options.readiness.map((check) => run(check, request)))),
  );
  app.get<{ Params: { check: string } }>('/readyz/:check', { config: { routeName: 'readyz' } }, async (request, reply) => {
    const check = options.readiness.find(({ name }) => name === request.params.check);
    if (check === undefined) throw apiErrors.resourceNotFound(request.url.split('?')[0] ?? request.url);
    return answer(request, reply, 'readyz', [await run(check, request)]);
  });

  async function run(check: ReadinessCheck, request: FastifyRequest): Promise<CheckResult> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`no answer within ${options.checkTimeoutMs} ms`), options.checkTimeoutMs);
    });
    try {
      const failure = await Promise.race([check.run(), timeout]);
      if (failure !== undefined) request.log.warn({ event: 'not-ready', check: check.name, failure }, 'readiness check failed');
      return { name: check.name, failure };
    } catch (error) {
      // What went wrong may name hosts and users of the database: the log has it, the open answer does not.
      request.log.warn({ event: 'not-ready', check: check.name, err: error }, 'readiness check failed');
      return { name: check.name, failure: 'reason withheld (see the log)' };
    } finally {
      clearTimeout(timer);
    }
  }
}

function answer(request: FastifyRequest, reply: FastifyReply, probe: string, results: readonly CheckResult[]): FastifyReply {
  const passed = results.every(({ failure }) => failure === undefined);
  const verbose = Object.hasOwn(request.query as Record<string, unknown>, 'verbose');
  const lines = results.map(({ name, failure }) => (failure === undefined ? `[+]${name} ok` : `[-]${name} failed: ${failure}`));
  const body = passed && !verbose ? 'ok' : `${lines.join('\n')}\n${probe} check ${passed ? 'passed' : 'failed'}\n`;
  return reply
    .code(passed ? 200 : 503)
    .header('content-type', TEXT)
    .header('cache-control', 'no-store')
    .header('x-content-type-options', 'nosniff')
    .send(Buffer.from(body, 'utf8'));
}
