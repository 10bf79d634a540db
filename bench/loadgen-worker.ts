/**
 * The load generator: a process of its own (pinned to another core than the server when taskset
 * exists), driven over IPC by bench/run.ts. Each of `concurrency` loops owns one keep-alive undici
 * Client (one TCP connection), sends its next request as soon as the last one is answered, and counts
 * what completes inside the measured window. Fixed concurrency, fixed duration: the figures are a
 * throughput at that concurrency and the latency a client sees there.
 */
import process from 'node:process';
import { performance } from 'node:perf_hooks';
import { Client } from 'undici';
import { challengeNonce, DigestSession } from './lib/digest.js';
import {
  linkPath,
  orgAt,
  orgCount,
  statusPath,
  type FromWorker,
  type LoadJob,
  type LoadResult,
  type OrgSelector,
  type ToWorker,
} from './lib/protocol.js';
import { LatencyRecorder } from './lib/stats.js';

interface Answer {
  status: number;
  challenge: string | undefined;
}

/** One operation: true when every answer was the expected one; `requests` is how many it took. */
interface Outcome {
  ok: boolean;
  requests: number;
  unexpected?: string;
}

type Operation = () => Promise<Outcome>;

const ACCEPT_JSON = { accept: 'application/json' } as const;

/**
 * One request through undici's dispatch API: no Readable body stream, no promise chain per chunk. The
 * generator's core is the scarce thing, and request() costs about half as much again per request.
 */
function send(
  client: Client,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let answer: Answer = { status: 0, challenge: undefined };
    client.dispatch(
      { method, path, headers, body },
      {
        // Its presence tells undici this handler speaks the controller API (the legacy one is deprecated).
        onRequestStart() {},
        onResponseStart(_controller, statusCode, responseHeaders) {
          const challenge = responseHeaders['www-authenticate'];
          answer = { status: statusCode, challenge: Array.isArray(challenge) ? challenge[0] : challenge };
        },
        // The body is read (so the connection can be re-used) but not looked at.
        onResponseData() {},
        onResponseEnd() {
          resolve(answer);
        },
        onResponseError(_controller, error) {
          reject(error);
        },
      },
    );
  });
}

/**
 * A request with a digest answer on the session's nonce, drawing a challenge first when the session has
 * none and answering again once when the server says the nonce is stale (as `requests` does).
 */
async function authenticated(
  client: Client,
  session: DigestSession,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  cacheHa2: boolean,
  headers: Record<string, string> = ACCEPT_JSON,
  body?: string,
): Promise<{ answer: Answer; requests: number }> {
  let requests = 0;
  if (!session.hasNonce) {
    const first = await send(client, method, path, ACCEPT_JSON);
    requests += 1;
    const nonce = challengeNonce(first.challenge);
    if (first.status !== 401 || nonce === undefined) return { answer: first, requests };
    session.useNonce(nonce);
  }
  let answer = await send(client, method, path, { ...headers, authorization: session.authorization(method, path, cacheHa2) }, body);
  requests += 1;
  if (answer.status === 401) {
    const nonce = challengeNonce(answer.challenge);
    if (nonce !== undefined) {
      session.useNonce(nonce);
      answer = await send(client, method, path, { ...headers, authorization: session.authorization(method, path, cacheHa2) }, body);
      requests += 1;
    }
  }
  return { answer, requests };
}

function expect(answer: Answer, status: number, requests: number): Outcome {
  return answer.status === status ? { ok: true, requests } : { ok: false, requests, unexpected: String(answer.status) };
}

/** A uniformly random organization of the selector for every request: growth spreads over all of them. */
function randomOrg(orgs: OrgSelector): string {
  return orgAt(orgs, Math.floor(Math.random() * orgCount(orgs)));
}

/** HA2 is cached only for a few distinct request lines; with a million organizations every line is new. */
const HA2_CACHE_LIMIT = 1000;

function operationFor(job: LoadJob, client: Client, index: number): Operation {
  switch (job.kind) {
    case 'plain':
      return async () => {
        const answer = await send(client, 'GET', job.path, ACCEPT_JSON);
        return answer.status >= 200 && answer.status < 300
          ? { ok: true, requests: 1 }
          : { ok: false, requests: 1, unexpected: String(answer.status) };
      };
    case 'unauthenticated':
      return async () => expect(await send(client, 'GET', job.path, ACCEPT_JSON), 401, 1);
    case 'status-reuse': {
      const session = new DigestSession(job.key);
      const cache = orgCount(job.orgs) <= HA2_CACHE_LIMIT;
      return async () => {
        const { answer, requests } = await authenticated(client, session, 'GET', statusPath(randomOrg(job.orgs)), cache);
        return expect(answer, 200, requests);
      };
    }
    case 'status-challenge':
      return async () => {
        // A fresh client state per call, as curl, the Go client and mongocli behave: 401, then the answer.
        const session = new DigestSession(job.key);
        const { answer, requests } = await authenticated(client, session, 'GET', statusPath(randomOrg(job.orgs)), false);
        return expect(answer, 200, requests);
      };
    case 'link-cycle': {
      const org = job.orgs[index];
      if (org === undefined)
        throw new Error(`link-cycle needs one organization per connection (${job.orgs.length} for ${job.concurrency})`);
      const session = new DigestSession(org.key);
      const path = linkPath(org.orgId);
      const body = JSON.stringify({ linkToken: job.linkToken });
      const postHeaders = { ...ACCEPT_JSON, 'content-type': 'application/json' };
      return async () => {
        const post = await authenticated(client, session, 'POST', path, true, postHeaders, body);
        // DELETE even after a failed POST, so the organization is unlinked for the next pair either way.
        const del = await authenticated(client, session, 'DELETE', path, true);
        const requests = post.requests + del.requests;
        if (post.answer.status !== 201) return { ok: false, requests, unexpected: `POST ${post.answer.status}` };
        return expect(del.answer, 204, requests);
      };
    }
  }
}

/** Keep-alive clients per (origin, slot), kept across rounds: a round measures requests, not TCP handshakes. */
const clients = new Map<string, Client>();

function clientFor(origin: string, slot: number): Client {
  const name = `${origin}#${slot}`;
  let client = clients.get(name);
  if (client === undefined) {
    client = new Client(origin, {
      pipelining: 1,
      keepAliveTimeout: 60_000,
      keepAliveMaxTimeout: 600_000,
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
    });
    clients.set(name, client);
  }
  return client;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function run(job: LoadJob): Promise<LoadResult> {
  const latencies = new LatencyRecorder();
  const unexpected: Record<string, number> = {};
  let operations = 0;
  let requests = 0;
  const started = performance.now();
  const startedUs = Number(process.hrtime.bigint() / 1000n);
  const measureStart = started + job.warmupMs;
  const measureEnd = measureStart + job.durationMs;
  let cpuAtStart: NodeJS.CpuUsage | undefined;
  const cpuTimer = setTimeout(() => (cpuAtStart = process.cpuUsage()), job.warmupMs);

  const loop = async (slot: number): Promise<void> => {
    const origin = job.origins === undefined || job.origins.length === 0 ? job.origin : (job.origins[slot % job.origins.length] as string);
    const operation = operationFor(job, clientFor(origin, slot), slot);
    for (;;) {
      const begin = performance.now();
      if (begin >= measureEnd) return;
      let outcome: Outcome;
      try {
        outcome = await operation();
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        outcome = { ok: false, requests: 1, unexpected: `error ${typeof code === 'string' ? code : String(error)}` };
      }
      const end = performance.now();
      // Only completions inside the window count, so warm-up and drain are never in the figures.
      if (end < measureStart || end > measureEnd) {
        if (!outcome.ok) await sleep(5);
        continue;
      }
      if (outcome.ok) {
        operations += 1;
        requests += outcome.requests;
        latencies.record(end - begin);
      } else {
        const label = outcome.unexpected ?? 'unknown';
        unexpected[label] = (unexpected[label] ?? 0) + 1;
        // A server that fails fast must not turn this loop into a busy spin.
        await sleep(5);
      }
    }
  };

  await Promise.all(Array.from({ length: job.concurrency }, (_, slot) => loop(slot)));
  clearTimeout(cpuTimer);
  const cpu = process.cpuUsage(cpuAtStart);
  const elapsedMs = job.durationMs;
  const [p50, p99] = latencies.percentiles([0.5, 0.99]);
  return {
    id: job.id,
    operations,
    requests,
    elapsedMs,
    operationsPerSecond: (operations * 1000) / elapsedMs,
    p50Ms: p50 ?? Number.NaN,
    p99Ms: p99 ?? Number.NaN,
    unexpected,
    // The drain after the window adds a little CPU; it is short next to the window.
    loadgenCpuPercent: cpuAtStart === undefined ? Number.NaN : ((cpu.user + cpu.system) / 1000 / elapsedMs) * 100,
    windowStartUs: startedUs + (measureStart - started) * 1000,
    windowEndUs: startedUs + (measureEnd - started) * 1000,
  };
}

function reply(message: FromWorker): void {
  process.send?.(message);
}

process.on('message', (message: ToWorker) => {
  if (message.type === 'exit') {
    void Promise.allSettled([...clients.values()].map((client) => client.destroy())).then(() => process.exit(0));
    return;
  }
  run(message.job).then(
    (result) => reply({ type: 'result', result }),
    (error: unknown) => reply({ type: 'failed', id: message.job.id, message: error instanceof Error ? error.message : String(error) }),
  );
});

// The orchestrator going away (even by SIGKILL) closes the channel: never outlive it.
process.on('disconnect', () => process.exit(0));
reply({ type: 'ready' });
