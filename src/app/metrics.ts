import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { DIGEST_FAILURE_REASONS, type DigestFailureReason, type EdgeMetrics, type ResponseMeter } from '../http/edge-metrics.js';

/**
 * livelink's Prometheus metrics (prom-client), one registry a Livelink: several in one process (the tests)
 * never share a series. The parts count through the small interfaces they declare (the edge's EdgeMetrics,
 * ...); this is the one module that knows prom-client. Counters count what this process did; what every node
 * sharing the database should agree on is read from the database when Prometheus scrapes.
 */
export class LivelinkMetrics {
  readonly registry = new Registry();
  readonly edge: EdgeMetrics;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    const requests = new Counter({
      name: 'livelink_http_requests_total',
      help: 'HTTP answers sent, by route (the route table name, or the path template), method and status',
      labelNames: ['route', 'method', 'status'] as const,
      registers: [this.registry],
    });
    const durations = new Histogram({
      name: 'livelink_http_request_duration_seconds',
      help: 'Time from the request to its answer being sent, by route and method',
      labelNames: ['route', 'method'] as const,
      // Most answers take well under a millisecond; a call to the target can take seconds.
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
    const digestFailures = new Counter({
      name: 'livelink_digest_failures_total',
      help: 'Digest answers that did not authenticate, by reason',
      labelNames: ['reason'] as const,
      registers: [this.registry],
    });
    // Every reason bound, and shown at 0, from the start: a rate() over a series that appears late misses its first rise.
    const failureByReason = new Map(
      DIGEST_FAILURE_REASONS.map((reason) => {
        digestFailures.inc({ reason }, 0);
        return [reason, digestFailures.labels(reason)];
      }),
    );

    this.edge = {
      responses(route, method): ResponseMeter {
        const duration = durations.labels(route, method);
        // The statuses a route answers are few; each one's counter is bound on its first answer.
        const byStatus = new Map<number, Counter.Internal>();
        return {
          answered(status, seconds) {
            let counter = byStatus.get(status);
            if (counter === undefined) {
              counter = requests.labels(route, method, String(status));
              byStatus.set(status, counter);
            }
            counter.inc();
            duration.observe(seconds);
          },
        };
      },
      digestFailure(reason: DigestFailureReason) {
        failureByReason.get(reason)?.inc();
      },
    };
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
