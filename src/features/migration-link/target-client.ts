import { Readable } from 'node:stream';
import { rootCertificates } from 'node:tls';
import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { Agent } from 'undici';
import type * as Undici from 'undici';
import type { LinkTokenContents } from '../link-tokens/link-token-codec.js';
import type { SourceInventory } from '../link-tokens/available-project.js';
import { digestExchange } from './digest-client.js';
import {
  JobReportAnswerSchema,
  TargetJobAnswerSchema,
  type JobReportAnswer,
  type MigrationJobReport,
  type TargetJobAnswer,
} from './migration-job.js';

/** How a call to the target failed, in the terms the source acts on. */
export type TargetFailure =
  /**
   * The target answered and said no: 401/403/404, the token's key is unknown, revoked or not allowed from
   * here; 409, it refuses the change for now (a live migration runs).
   */
  | { kind: 'refused'; status: number; errorCode: string | undefined; detail: string | undefined }
  | { kind: 'unreachable'; detail: string }
  | { kind: 'timeout' }
  /** The target answered something that is not a Public API answer (5xx, not JSON, too large). */
  | { kind: 'bad-response'; status: number };

/** How a call to the target ended, in the terms the source acts on. */
export type TargetOutcome = { kind: 'accepted' } | TargetFailure;

/** How a call that reads the target's answer ended: accepted with the answer, parsed and checked, or failed. */
export type TargetAnswer<T> = { kind: 'accepted'; body: T } | TargetFailure;

/**
 * Which of the source's calls to the target a call is, as the rehearsal control API names them: the link
 * POST's push, the inventory pushes of the sync loop, the unlink, and the migration hosts' job fetches and
 * progress reports relayed to the target.
 */
export const TARGET_CALLS = ['link', 'inventory', 'unlink', 'migrationProgress'] as const;
export type TargetCall = (typeof TARGET_CALLS)[number];

/**
 * A failure the control API injects into one call (features/control). It is played in the transport, so
 * what follows is the real code: the connection faults on the call's first request, the answers on its
 * authenticated one (after the target's real digest challenge), then read, parsed and timed out as any
 * answer of a real target would be.
 */
export type InjectedFailure =
  /** The connection is refused. */
  | { kind: 'UNREACHABLE' }
  /** No answer: the call's own timeout ends it. */
  | { kind: 'TIMEOUT' }
  /** The target answers this status and body. */
  | { kind: 'STATUS'; status: number; body: string }
  /** The target answers 200 with a body that is not the answer the call expects. */
  | { kind: 'GARBAGE'; body: string }
  /** The call waits this long before it is sent (past the call's timeout, it times out). */
  | { kind: 'DELAY'; delayMs: number };

export interface TargetClientOptions {
  /** Read on every call: in `both` mode the process is its own target, and its port is known only once it listens. */
  baseUrl: () => string;
  connectTimeoutMs: number;
  totalTimeoutMs: number;
  maxResponseBytes: number;
  /** PEM CA certificates trusted for the target besides the system's (a private CA); verification stays on. */
  extraCa?: Buffer | undefined;
  /** Asked once per call: the failure the control API injects into it, if any (each ask counts as one call). */
  injectedFailure?: (call: TargetCall) => Promise<InjectedFailure | undefined>;
}

/**
 * The source's outbound calls to the target (Atlas), made as the key embedded in a link-token. Never
 * called inside a database transaction. HttpTargetClient is the one livelink uses; a test may hand
 * createLivelink another (LivelinkOptions.targetClient) instead of starting a second server.
 */
export interface TargetClient {
  /** Where the target is, for the words of an error. */
  readonly baseUrl: string;
  /**
   * Sends the source organization's inventory; accepted only when the target confirms it received it.
   * `call` tells the link POST's push from the sync loop's (default).
   */
  pushInventory(
    token: LinkTokenContents,
    sourceOrgId: string,
    inventory: SourceInventory,
    call?: 'link' | 'inventory',
  ): Promise<TargetOutcome>;
  /** Tells the target the source disconnected. */
  forgetSource(token: LinkTokenContents, sourceOrgId: string): Promise<TargetOutcome>;
  /** The job the target has for one migration host of the source (its heartbeat too): `{job: null}` when none. */
  migrationJob(
    token: LinkTokenContents,
    sourceOrgId: string,
    sourceGroupId: string,
    hostname: string,
  ): Promise<TargetAnswer<TargetJobAnswer>>;
  /** A migration host's report on its job (the host named, so the target checks the job is that host's); the target answers what the host is to do next. */
  reportMigrationJob(
    token: LinkTokenContents,
    sourceOrgId: string,
    sourceGroupId: string,
    hostname: string,
    jobId: string,
    report: MigrationJobReport,
  ): Promise<TargetAnswer<JobReportAnswer>>;
  close(): Promise<void>;
}

/**
 * Calls the configured target (Atlas) API over HTTP(S). Every call has a connect timeout, a total
 * timeout and a response-size cap, follows no redirect and keeps TLS verification on.
 */
export class HttpTargetClient implements TargetClient {
  #agent: Promise<Agent> | undefined;
  #closed = false;

  constructor(private readonly options: TargetClientOptions) {}

  /** The connection pool, made on the first call (see loadUndici). */
  #dispatcher(): Promise<Agent> {
    this.#agent ??= loadUndici().then(({ Agent }) => {
      const agent = new Agent({
        connect: {
          timeout: this.options.connectTimeoutMs,
          ...(this.options.extraCa === undefined ? {} : { ca: [...rootCertificates, this.options.extraCa.toString('utf8')] }),
        },
        connections: 16,
      });
      // A call after close() fails as a call on a closed pool does, instead of opening connections.
      if (this.#closed) void agent.close();
      return agent;
    });
    return this.#agent;
  }

  get baseUrl(): string {
    return this.options.baseUrl();
  }

  /** Accepted only when the target answers 2xx with `{"sourceOrgId": <ours>, "pushedAt": <string>}`. */
  pushInventory(
    token: LinkTokenContents,
    sourceOrgId: string,
    inventory: SourceInventory,
    call: 'link' | 'inventory' = 'inventory',
  ): Promise<TargetOutcome> {
    return this.call(call, 'PUT', inventoryPath(token.orgId, sourceOrgId), token, JSON.stringify(inventory), (text) => {
      const answer = parseJsonObject(text);
      return answer?.['sourceOrgId'] === sourceOrgId && typeof answer['pushedAt'] === 'string';
    });
  }

  forgetSource(token: LinkTokenContents, sourceOrgId: string): Promise<TargetOutcome> {
    return this.call('unlink', 'DELETE', inventoryPath(token.orgId, sourceOrgId), token, undefined, () => true);
  }

  /** Accepted only when the target answers 2xx with `{"job": null}` or a job of the shape docs/live-migrations.md gives. */
  migrationJob(
    token: LinkTokenContents,
    sourceOrgId: string,
    sourceGroupId: string,
    hostname: string,
  ): Promise<TargetAnswer<TargetJobAnswer>> {
    const path = `${inventoryPath(token.orgId, sourceOrgId)}/groups/${sourceGroupId}/migrationHosts/${encodeURIComponent(hostname)}/job`;
    return this.exchange('migrationProgress', 'GET', path, token, undefined, (text) => checked(TargetJobAnswerSchema, text));
  }

  /** Accepted only when the target answers 2xx with `{"cutoverRequested": bool, "stop": bool}`. */
  reportMigrationJob(
    token: LinkTokenContents,
    sourceOrgId: string,
    sourceGroupId: string,
    hostname: string,
    jobId: string,
    report: MigrationJobReport,
  ): Promise<TargetAnswer<JobReportAnswer>> {
    const path = `${inventoryPath(token.orgId, sourceOrgId)}/groups/${sourceGroupId}/migrationHosts/${encodeURIComponent(hostname)}/jobs/${encodeURIComponent(jobId)}`;
    return this.exchange('migrationProgress', 'PUT', path, token, JSON.stringify(report), (text) => checked(JobReportAnswerSchema, text));
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#agent !== undefined) await (await this.#agent).close();
  }

  private async call(
    call: TargetCall,
    method: 'PUT' | 'DELETE',
    path: string,
    token: LinkTokenContents,
    body: string | undefined,
    acceptsBody: (text: string) => boolean,
  ): Promise<TargetOutcome> {
    const answer = await this.exchange(call, method, path, token, body, (text) => (acceptsBody(text) ? true : undefined));
    return answer.kind === 'accepted' ? { kind: 'accepted' } : answer;
  }

  /**
   * One call with its digest round trip (and one more on a stale nonce); a 2xx is accepted only when `parse`
   * makes something of its body.
   */
  private async exchange<T>(
    call: TargetCall,
    method: 'GET' | 'PUT' | 'DELETE',
    path: string,
    token: LinkTokenContents,
    body: string | undefined,
    parse: (text: string) => T | undefined,
  ): Promise<TargetAnswer<T>> {
    const injected = await this.options.injectedFailure?.(call);
    const signal = AbortSignal.timeout(this.options.totalTimeoutMs);
    try {
      const answer = await digestExchange(
        (authorization) => this.send(method, path, authorization, authorization === undefined ? undefined : body, signal, injected),
        { method, uri: path, username: token.publicApiKey, password: token.privateApiKey },
      );
      return answer === undefined ? { kind: 'bad-response', status: 401 } : this.outcomeOf(answer, parse);
    } catch (error) {
      if (signal.aborted || isTimeout(error)) return { kind: 'timeout' };
      return { kind: 'unreachable', detail: describeNetworkError(error) };
    }
  }

  private async send(
    method: string,
    path: string,
    authorization: string | undefined,
    body: string | undefined,
    signal: AbortSignal,
    injected?: InjectedFailure,
  ): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string | undefined }> {
    if (injected !== undefined) {
      const answer = await this.injectedAnswer(injected, authorization !== undefined, signal);
      if (answer !== undefined) return answer;
    }
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'livelink-source' };
    if (authorization !== undefined) headers['authorization'] = authorization;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const [{ request }, dispatcher] = await Promise.all([loadUndici(), this.#dispatcher()]);
    const response = await request(`${this.options.baseUrl()}${path}`, {
      method,
      headers,
      body: authorization === undefined ? undefined : body,
      dispatcher,
      signal,
      headersTimeout: this.options.totalTimeoutMs,
      bodyTimeout: this.options.totalTimeoutMs,
    });
    const text = await readCapped(response.body, this.options.maxResponseBytes);
    return { status: response.statusCode, headers: response.headers, text };
  }

  /**
   * The transport's side of an injected failure: throws as undici does when a connection is refused, waits
   * for the call's own timeout, waits out a delay, or answers the injected bytes through the same capped
   * reader as a real body. Undefined: send the request for real.
   */
  private async injectedAnswer(
    injected: InjectedFailure,
    authenticated: boolean,
    signal: AbortSignal,
  ): Promise<{ status: number; headers: Record<string, string>; text: string | undefined } | undefined> {
    switch (injected.kind) {
      case 'UNREACHABLE':
        throw Object.assign(new Error('connect ECONNREFUSED (injected by the control API)'), { code: 'ECONNREFUSED' });
      case 'TIMEOUT':
        await abortableWait(undefined, signal);
        return undefined;
      case 'DELAY':
        if (!authenticated) await abortableWait(injected.delayMs, signal);
        return undefined;
      case 'STATUS':
      case 'GARBAGE': {
        // The target's real challenge first: the fault is the authenticated call's answer.
        if (!authenticated) return undefined;
        const status = injected.kind === 'STATUS' ? injected.status : 200;
        const text = await readCapped(Readable.from([Buffer.from(injected.body, 'utf8')]), this.options.maxResponseBytes);
        return { status, headers: { 'content-type': 'application/json' }, text };
      }
    }
  }

  /** Redirects are not followed and count as a bad answer, like any status the Public API does not use here. */
  private outcomeOf<T>(response: { status: number; text: string | undefined }, parse: (text: string) => T | undefined): TargetAnswer<T> {
    if (response.text === undefined) return { kind: 'bad-response', status: response.status };
    if (response.status >= 200 && response.status < 300) {
      const body = parse(response.text);
      return body === undefined ? { kind: 'bad-response', status: response.status } : { kind: 'accepted', body };
    }
    // 409: the target keeps what it has for a reason of its own (a live migration runs), in its words.
    if (response.status === 401 || response.status === 403 || response.status === 404 || response.status === 409) {
      const error = parseErrorBody(response.text);
      return { kind: 'refused', status: response.status, errorCode: error.errorCode, detail: error.detail };
    }
    return { kind: 'bad-response', status: response.status };
  }
}

/** What livelink uses of undici. */
type UndiciApi = Pick<typeof Undici, 'Agent' | 'request'>;

let undici: Promise<UndiciApi> | undefined;

/**
 * undici, imported on the first outbound call rather than when livelink loads: evaluating it took
 * some 28 ms of every start-up, and only a source pushing to its target needs it (CLI commands and a
 * target-only server never do).
 */
function loadUndici(): Promise<UndiciApi> {
  // undici is CommonJS: Node gives its exports as `default` (and named ones beside), the bundle
  // (esbuild) as `default` only; so read `default` first.
  undici ??= import('undici').then((module): UndiciApi => module.default ?? module);
  return undici;
}

/** Resolves after `ms` (never, when undefined), or rejects with the signal's reason once it aborts. */
function abortableWait(ms: number | undefined, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = ms === undefined ? undefined : setTimeout(done, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    function done() {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The parsed answer when it has the schema's shape (extra fields allowed: a newer target may add some). */
function checked<S extends TSchema>(schema: S, text: string): Static<S> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return Value.Check(schema, value) ? value : undefined;
}

function inventoryPath(targetOrgId: string, sourceOrgId: string): string {
  return `/api/atlas/v1.0/orgs/${targetOrgId}/liveMigrations/sourceOrganizations/${sourceOrgId}`;
}

/** Reads at most `cap` bytes; undefined when the body is larger (the rest is discarded, not buffered). */
export async function readCapped(body: AsyncIterable<Buffer> & { destroy(): unknown }, cap: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > cap) {
      body.destroy();
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Only the catalogue fields, trimmed: the target's words help the user, but are not trusted. */
function parseErrorBody(text: string): { errorCode: string | undefined; detail: string | undefined } {
  const parsed = parseJsonObject(text);
  return {
    errorCode: typeof parsed?.['errorCode'] === 'string' ? parsed['errorCode'].slice(0, 80) : undefined,
    detail: typeof parsed?.['detail'] === 'string' ? parsed['detail'].slice(0, 300) : undefined,
  };
}

function isTimeout(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    (error as Error | null)?.name === 'TimeoutError'
  );
}

function describeNetworkError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'the connection was refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'its host name does not resolve';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'the connection was closed';
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'CERT_HAS_EXPIRED':
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return 'its TLS certificate is not trusted';
    default:
      return 'the connection failed';
  }
}
