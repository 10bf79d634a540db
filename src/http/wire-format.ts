import { apiErrors, type ApiError } from './api-error.js';

/**
 * The Public API wire format, applied once at the edge: `pretty`, `envelope`, the error body and the
 * media types (Atlas v2's versioned ones are chosen in media-type.ts). Handlers return plain values;
 * nothing else in livelink writes response bytes.
 */

/** Query flags every Public API route takes. */
export interface WireFlags {
  pretty: boolean;
  envelope: boolean;
}

/** The media type of every error and of every answer outside Atlas v2 (media-type.ts chooses the rest). */
export const JSON_MEDIA_TYPE = 'application/json';
/**
 * The digest challenge's media type on the Ops Manager paths, as the Ops Manager documentation's 401
 * example shows it. Atlas was observed sending plain `application/json`, which its paths keep.
 */
export const OPS_MANAGER_CHALLENGE_MEDIA_TYPE = 'application/json;charset=ISO-8859-1';
/** The Ops Manager Public API's base path: the paths whose digest challenge is Ops Manager's. */
export const OPS_MANAGER_API_PREFIX = '/api/public/';

/** The Content-Type of the digest challenge answered on `path`. */
export function challengeContentType(path: string): string {
  return path.startsWith(OPS_MANAGER_API_PREFIX) ? OPS_MANAGER_CHALLENGE_MEDIA_TYPE : JSON_MEDIA_TYPE;
}

/** The error body, fields in the alphabetical order Ops Manager emits them. */
export function errorBody(error: ApiError): Record<string, unknown> {
  return {
    detail: error.detail,
    error: error.status,
    errorCode: error.errorCode,
    parameters: error.parameters,
    reason: error.reason,
  };
}

/**
 * Wraps a body for `envelope=true`. Ops Manager: single entities become `{"content": ..., "status": N}`;
 * lists (objects with `results`) only gain `status`.
 */
export function envelop(body: unknown, status: number): Record<string, unknown> {
  if (body !== null && typeof body === 'object' && !Array.isArray(body) && 'results' in body) {
    return { ...(body as Record<string, unknown>), status };
  }
  return { content: body ?? null, status };
}

/**
 * Serializes a response body. Compact output has no spaces and no trailing newline; pretty output is
 * Jackson's DefaultPrettyPrinter, which is what Ops Manager and Atlas emit: two-space indentation,
 * `"key" : value`, arrays on one line as `[ a, b ]`, empty containers as `{ }` and `[ ]`.
 * Object keys are sorted, as Ops Manager documents its fields in alphabetical order.
 */
export function serializeBody(body: unknown, pretty: boolean): string {
  const sorted = sortKeys(body);
  return pretty ? jacksonPretty(sorted, 0) : JSON.stringify(sorted);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const child = (value as Record<string, unknown>)[key];
      if (child !== undefined) out[key] = sortKeys(child);
    }
    return out;
  }
  return value;
}

function jacksonPretty(value: unknown, depth: number): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return '[ ]';
    return `[ ${value.map((item) => jacksonPretty(item, depth)).join(', ')} ]`;
  }
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return '{ }';
    const inner = '  '.repeat(depth + 1);
    const lines = entries.map(([key, child]) => `${inner}${JSON.stringify(key)} : ${jacksonPretty(child, depth + 1)}`);
    return `{\n${lines.join(',\n')}\n${'  '.repeat(depth)}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Reads `pretty` and `envelope` leniently: `true` (any case) turns a flag on, anything else leaves it
 * off. For writing an error, which must never fail itself; requests are checked by `parseWireFlags`.
 */
export function readWireFlags(query: Readonly<Record<string, unknown>> | undefined): WireFlags {
  return { pretty: isTrue(query?.['pretty']), envelope: isTrue(query?.['envelope']) };
}

/**
 * Checks `pretty` and `envelope` as the booleans the API declares them: `true` or `false` in any case,
 * given once. Anything else is refused with INVALID_QUERY_PARAMETER rather than silently read as false.
 */
export function parseWireFlags(query: Readonly<Record<string, unknown>> | undefined): WireFlags {
  for (const name of ['pretty', 'envelope'] as const) {
    const value = query?.[name];
    if (value === undefined) continue;
    if (typeof value !== 'string' || !/^(true|false)$/i.test(value)) throw apiErrors.invalidQueryParameter(name);
  }
  return readWireFlags(query);
}

function isTrue(value: unknown): boolean {
  const last: unknown = Array.isArray(value) ? value[value.length - 1] : value;
  return typeof last === 'string' && last.toLowerCase() === 'true';
}
