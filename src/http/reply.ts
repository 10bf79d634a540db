import type { FastifyReply } from 'fastify';
import type { ApiError } from './api-error.js';
import { contentTypeFor, envelop, errorBody, JSON_MEDIA_TYPE, serializeBody, type ResponseMediaType, type WireFlags } from './wire-format.js';

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
 */
export function send(reply: FastifyReply, status: number, body: unknown, mediaType: ResponseMediaType, flags: WireFlags): FastifyReply {
  if (status === 204 && !flags.envelope) return reply.code(204).send();
  const payload = flags.envelope ? envelop(status === 204 ? null : body, status) : body;
  return reply
    .code(status === 204 ? 200 : status)
    .header('content-type', status >= 400 ? JSON_MEDIA_TYPE : contentTypeFor(mediaType))
    // A Buffer, so that Fastify sends the Content-Type as set (it appends a charset to strings).
    .send(Buffer.from(serializeBody(payload, flags.pretty), 'utf8'));
}

/** Writes a catalogue error: its own headers, then its body. */
export function replyWithError(reply: FastifyReply, error: ApiError, flags: WireFlags): FastifyReply {
  for (const name in error.headers) reply.header(name, error.headers[name]);
  return reply.code(error.status).header('content-type', JSON_MEDIA_TYPE).send(errorBytes(error, flags));
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
