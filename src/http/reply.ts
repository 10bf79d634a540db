import { ServerResponse, type OutgoingHttpHeader, type OutgoingHttpHeaders } from 'node:http';
import type { FastifyReply } from 'fastify';
import type { ApiError } from './api-error.js';
import { contentTypeFor, type ResponseMediaType } from './media-type.js';
import { challengeContentType, envelop, errorBody, JSON_MEDIA_TYPE, serializeBody, type WireFlags } from './wire-format.js';

/**
 * The last step: writing the answer. Every response of the Public API, success or error, is written
 * here, by the early challenge (its headers named in early-challenge.ts) or by the client-error writer.
 */

/** Headers every answer carries, with X-MongoDB-Service-Version (per server). */
export const STRICT_TRANSPORT_SECURITY = 'max-age=300';
export const VARY = 'Accept-Encoding';

/** Sets the headers every answer carries, first, so that every path, error or not, has them. */
export function setAnswerHeaders(reply: FastifyReply, serviceVersionHeader: string): void {
  reply.header('strict-transport-security', STRICT_TRANSPORT_SECURITY);
  reply.header('x-mongodb-service-version', serviceVersionHeader);
  reply.header('vary', VARY);
}

/**
 * The one place a handler's result is written. With `envelope=true` a 204 becomes a 200 whose body carries
 * `"status": 204`: an envelope exists for clients that cannot read the status line, and a 204 has no body.
 * Another success without a body (Atlas's 202 "Accepted") is sent empty, with its media type.
 */
export function send(reply: FastifyReply, status: number, body: unknown, mediaType: ResponseMediaType, flags: WireFlags): FastifyReply {
  if (status === 204 && !flags.envelope) return reply.code(204).send();
  return (
    reply
      .code(status === 204 ? 200 : status)
      .header('content-type', status >= 400 ? JSON_MEDIA_TYPE : contentTypeFor(mediaType))
      // A Buffer, so that Fastify sends the Content-Type as set (it appends a charset to strings).
      .send(bodyBytes(status, body, flags))
  );
}

/**
 * Bodies declared constant (constantBody): a handler that answers with one of a few fixed values (the
 * link status's two) hands over the same object each time, and its bytes are made once per status and
 * flags rather than per request.
 */
const constantBodies = new WeakMap<object, Map<number, Buffer>>();

/** Declares `body` a constant answer: frozen through and through, so that its bytes can be kept. */
export function constantBody<T extends object>(body: T): Readonly<T> {
  const frozen = deepFreeze(body);
  constantBodies.set(frozen, new Map());
  return frozen;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') for (const child of Object.values(value)) deepFreeze(child);
  return Object.freeze(value);
}

function bodyBytes(status: number, body: unknown, flags: WireFlags): Buffer {
  const kept = body !== null && typeof body === 'object' ? constantBodies.get(body) : undefined;
  const shape = status * 4 + (flags.pretty ? 1 : 0) + (flags.envelope ? 2 : 0);
  const known = kept?.get(shape);
  if (known !== undefined) return known;
  const payload = flags.envelope ? envelop(status === 204 ? null : body, status) : body;
  const bytes = payload === undefined ? Buffer.alloc(0) : Buffer.from(serializeBody(payload, flags.pretty), 'utf8');
  kept?.set(shape, bytes);
  return bytes;
}

/** Writes a catalogue error answered on `path`: its own headers, its Content-Type, its body. */
export function replyWithError(reply: FastifyReply, error: ApiError, flags: WireFlags, path: string): FastifyReply {
  for (const name in error.headers) reply.header(name, error.headers[name]);
  return reply.code(error.status).header('content-type', errorContentType(error, path)).send(errorBytes(error, flags));
}

/** The digest challenge's Content-Type depends on the path (wire-format.ts); every other error is JSON. */
export function errorContentType(error: ApiError, path: string): string {
  return isDigestChallenge(error) ? challengeContentType(path) : JSON_MEDIA_TYPE;
}

function isDigestChallenge(error: ApiError): boolean {
  return error.headers['www-authenticate'] !== undefined;
}

/**
 * Error bodies repeat (every digest challenge sends the same one), so each distinct body is
 * serialized once. Bounded, and keyed by everything that shapes the bytes.
 */
const serializedErrors = new Map<string, Buffer>();

export function errorBytes(error: ApiError, flags: WireFlags): Buffer {
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

/**
 * Header names as Ops Manager writes them. HTTP names are case-insensitive and Fastify lower-cases every
 * name it is given, but people's scripts are not: a `grep X-MongoDB-Service-Version:` of `curl -i` output
 * must find the header. Names not listed here go out as they were set.
 */
const WIRE_CASE = new Map<string, string>(
  [
    'Allow',
    'Cache-Control',
    'Connection',
    'Content-Length',
    'Content-Security-Policy',
    'Content-Type',
    'Location',
    'Referrer-Policy',
    'Retry-After',
    'Set-Cookie',
    'Strict-Transport-Security',
    'Vary',
    'WWW-Authenticate',
    'X-Content-Type-Options',
    'X-Frame-Options',
    'X-MongoDB-Service-Version',
  ].map((name) => [name.toLowerCase(), name]),
);

/**
 * Node's ServerResponse, writing the header names of a header object (Fastify's) in their wire case. A
 * flat array of names and values, as the early challenge writes, goes out as it is, at no extra cost.
 */
export class WireCasedResponse extends ServerResponse {
  override writeHead(
    statusCode: number,
    reason?: string | OutgoingHttpHeaders | OutgoingHttpHeader[],
    headers?: OutgoingHttpHeaders | OutgoingHttpHeader[],
  ): this {
    if (typeof reason === 'string') return super.writeHead(statusCode, reason, wireCased(headers));
    return super.writeHead(statusCode, wireCased(reason));
  }
}

function wireCased(headers: OutgoingHttpHeaders | OutgoingHttpHeader[] | undefined): OutgoingHttpHeader[] | undefined {
  if (headers === undefined || Array.isArray(headers)) return headers;
  const flat: OutgoingHttpHeader[] = [];
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined) flat.push(WIRE_CASE.get(name) ?? name, value);
  }
  return flat;
}
