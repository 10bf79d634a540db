import { rootCertificates } from 'node:tls';
import type { TSchema, Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { Agent, request } from 'undici';
import { digestExchange } from '../migration-link/digest-client.js';
import { readCapped } from '../migration-link/target-client.js';
import {
  HostJobAnswerSchema,
  JobReportAnswerSchema,
  type HostJobAnswer,
  type JobReportAnswer,
  type MigrationJobReport,
} from '../migration-link/migration-job.js';

export interface SourceRelayClientOptions {
  /** The source livelink's base URL (`https://om.example.com`); the host calls nothing else. */
  sourceUrl: string;
  groupId: string;
  hostname: string;
  publicKey: string;
  privateKey: string;
  /** PEM CA certificates trusted for the source besides the system's; verification stays on. */
  extraCa?: Buffer | undefined;
  timeoutMs: number;
}

/** How one call to the source ended: its answer, or why there is none, in words for the host's log. */
export type RelayResult<T> =
  { ok: true; body: T } | { ok: false; status: number | undefined; errorCode: string | undefined; message: string };

/** A job is a few kilobytes; anything larger is not an answer of the source. */
const MAX_RESPONSE_BYTES = 256 * 1024;

/**
 * The migration host's calls to its source (docs/live-migrations.md, "The relay"), with digest
 * authentication as the host's own key, as an Ops Manager agent calls Ops Manager: TLS verified, no
 * redirect followed, a timeout and a size cap on every call.
 */
export class SourceRelayClient {
  readonly #agent: Agent;
  readonly #base: string;

  constructor(private readonly options: SourceRelayClientOptions) {
    this.#base = options.sourceUrl.replace(/\/+$/, '');
    this.#agent = new Agent({
      connect: {
        timeout: Math.min(options.timeoutMs, 10_000),
        ...(options.extraCa === undefined ? {} : { ca: [...rootCertificates, options.extraCa.toString('utf8')] }),
      },
      connections: 4,
    });
  }

  get hostPath(): string {
    return `/api/public/v1.0/groups/${this.options.groupId}/migrationHosts/${encodeURIComponent(this.options.hostname)}`;
  }

  /** The host's current job (`{job: null}` when it has none). Every call is the host's heartbeat. */
  job(): Promise<RelayResult<HostJobAnswer>> {
    return this.#call('GET', `${this.hostPath}/job`, undefined, HostJobAnswerSchema);
  }

  report(jobId: string, report: MigrationJobReport): Promise<RelayResult<JobReportAnswer>> {
    return this.#call('PUT', `${this.hostPath}/jobs/${encodeURIComponent(jobId)}`, JSON.stringify(report), JobReportAnswerSchema);
  }

  close(): Promise<void> {
    return this.#agent.close();
  }

  async #call<S extends TSchema>(
    method: 'GET' | 'PUT',
    path: string,
    body: string | undefined,
    schema: S,
  ): Promise<RelayResult<Static<S>>> {
    const url = new URL(`${this.#base}${path}`);
    const uri = `${url.pathname}${url.search}`;
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    try {
      // A stale nonce (expired on the way, or the source lost its replay records) is answered once more.
      const answer = await digestExchange((authorization) => this.#send(method, url, authorization, body, signal), {
        method,
        uri,
        username: this.options.publicKey,
        password: this.options.privateKey,
      });
      if (answer === undefined) return failure(401, undefined, 'the source answered 401 without a digest challenge');
      return resultOf(answer, schema);
    } catch (error) {
      if (signal.aborted) return failure(undefined, undefined, `the source did not answer within ${this.options.timeoutMs} ms`);
      return failure(undefined, undefined, `the source could not be reached: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async #send(
    method: 'GET' | 'PUT',
    url: URL,
    authorization: string | undefined,
    body: string | undefined,
    signal: AbortSignal,
  ): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string | undefined }> {
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'livelink-migration-host' };
    if (authorization !== undefined) headers['authorization'] = authorization;
    if (body !== undefined && authorization !== undefined) headers['content-type'] = 'application/json';
    const response = await request(url, {
      method,
      headers,
      body: authorization === undefined ? undefined : body,
      dispatcher: this.#agent,
      signal,
      headersTimeout: this.options.timeoutMs,
      bodyTimeout: this.options.timeoutMs,
    });
    return { status: response.statusCode, headers: response.headers, text: await readCapped(response.body, MAX_RESPONSE_BYTES) };
  }
}

function resultOf<S extends TSchema>(response: { status: number; text: string | undefined }, schema: S): RelayResult<Static<S>> {
  if (response.text === undefined)
    return failure(response.status, undefined, `the source's answer is larger than ${MAX_RESPONSE_BYTES} bytes`);
  const parsed = parseJson(response.text);
  if (response.status === 200) {
    if (Value.Check(schema, parsed)) return { ok: true, body: parsed };
    return failure(200, undefined, 'the source answered something that is not a job answer');
  }
  // The Public API's error body: its code and words are what the operator needs to read.
  const error = parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  const errorCode = typeof error['errorCode'] === 'string' ? error['errorCode'] : undefined;
  const detail = typeof error['detail'] === 'string' ? error['detail'] : undefined;
  return failure(
    response.status,
    errorCode,
    `the source answered ${response.status}${errorCode === undefined ? '' : ` ${errorCode}`}${detail === undefined ? '' : `: ${detail}`}`,
  );
}

function failure(
  status: number | undefined,
  errorCode: string | undefined,
  message: string,
): { ok: false; status: number | undefined; errorCode: string | undefined; message: string } {
  return { ok: false, status, errorCode, message };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
