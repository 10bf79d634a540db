import { apiErrors } from './api-error.js';
import { JSON_MEDIA_TYPE } from './wire-format.js';

/**
 * The one place that decides a request's media types. Atlas versions its Admin API v2 per resource:
 * a client names a date in `Accept` (and in `Content-Type` for a body) as
 * `application/vnd.atlas.{YYYY-MM-DD}+json`, and the server answers with the newest version of the
 * resource that is not later than that date (the SDK's samples ask for a date newer than any version
 * and are served). Everything outside /api/atlas/v2 is plain JSON.
 */

/** The versions a v2 route serves when it declares none: the one every v2 resource of livelink had first. */
export const DEFAULT_RESOURCE_VERSIONS: readonly string[] = ['2023-01-01'];

const ATLAS_V2_PREFIX = '/api/atlas/v2/';
const ATLAS_MEDIA_TYPE = /^application\/vnd\.atlas\.(\d{4}-\d{2}-\d{2})\+json$/;
/** Ranges that take any JSON answer, so also the route's default version. */
const ANY_JSON = new Set(['*/*', 'application/*', JSON_MEDIA_TYPE]);

/** What a response is written as: plain JSON, or one version of an Atlas resource. */
export type ResponseMediaType = { kind: 'json' } | { kind: 'atlas'; version: string };

export function atlasMediaType(version: string): string {
  return `application/vnd.atlas.${version}+json`;
}

/** The Content-Type header of a success answer. */
export function contentTypeFor(mediaType: ResponseMediaType): string {
  return mediaType.kind === 'json' ? JSON_MEDIA_TYPE : `${atlasMediaType(mediaType.version)};charset=utf-8`;
}

export function servesVersions(path: string): boolean {
  return path.startsWith(ATLAS_V2_PREFIX);
}

export interface Negotiated {
  response: ResponseMediaType;
  /** The resource version the request body is read as; undefined outside v2. */
  bodyVersion: string | undefined;
}

/**
 * The media types of one request to `path`, a route serving `versions` (oldest first).
 * - Accept naming Atlas versions: the newest version not later than the latest date named; when no date
 *   named reaches one of the route's versions and nothing else in Accept takes JSON, 406 INVALID_VERSION_DATE.
 * - Accept naming no version (absent, `*`/`*`, `application/json`): the version the request body names,
 *   else the route's oldest, which is what every v2 route of livelink answered before it had two.
 * - The body is read as the version its Content-Type names (resolved the same way; a date before every
 *   version is 415), else as the version answered.
 */
export function negotiate(
  path: string,
  accept: string | undefined,
  contentType: string | undefined,
  versions: readonly string[],
): Negotiated {
  if (!servesVersions(path)) return { response: { kind: 'json' }, bodyVersion: undefined };
  const named = namedBodyVersion(contentType, versions);
  const ranges = parseAccept(accept);
  const dates = ranges.flatMap((range) => {
    const match = ATLAS_MEDIA_TYPE.exec(range);
    return match?.[1] === undefined ? [] : [match[1]];
  });
  let version: string | undefined;
  if (dates.length === 0) {
    version = named ?? versions[0];
  } else {
    const resolved = dates.map((date) => resolve(date, versions)).filter((v): v is string => v !== undefined);
    version = resolved.sort().at(-1);
    if (version === undefined) {
      if (!ranges.some((range) => ANY_JSON.has(range))) throw apiErrors.invalidVersionDate(dates.join(', '), versions.join(', '));
      version = named ?? versions[0];
    }
  }
  if (version === undefined) throw new Error(`the route on ${path} serves no version`);
  return { response: { kind: 'atlas', version }, bodyVersion: named ?? version };
}

/** The newest of `versions` not later than `date`. */
function resolve(date: string, versions: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const version of versions) if (version <= date && (best === undefined || version > best)) best = version;
  return best;
}

/** The version a versioned Content-Type names, resolved; undefined when it names none. */
function namedBodyVersion(contentType: string | undefined, versions: readonly string[]): string | undefined {
  if (contentType === undefined) return undefined;
  const mediaType = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  const date = ATLAS_MEDIA_TYPE.exec(mediaType)?.[1];
  if (date === undefined) return undefined;
  const version = resolve(date, versions);
  if (version === undefined) throw apiErrors.unsupportedMediaType(mediaType);
  return version;
}

/** The media ranges of an Accept header, lower case, without parameters; those with q=0 are refusals and left out. */
function parseAccept(accept: string | undefined): string[] {
  if (accept === undefined) return [];
  return accept
    .split(',')
    .map((part) => part.split(';').map((piece) => piece.trim().toLowerCase()))
    .filter(([range, ...parameters]) => range !== undefined && range !== '' && !parameters.some((p) => /^q=0(\.0{0,3})?$/.test(p)))
    .map(([range]) => range ?? '');
}
