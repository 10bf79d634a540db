import { KindGuard, type TSchema } from '@sinclair/typebox';
import { atlasMediaType, DEFAULT_RESOURCE_VERSIONS, servesVersions } from './media-type.js';
import { JSON_MEDIA_TYPE } from './wire-format.js';
import { successStatuses, type RouteDefinition } from './route.js';

/**
 * The OpenAPI 3.1 document of every route livelink serves, generated from the route table: the same
 * schemas validate requests and describe them, so the two cannot drift. `npm run openapi` writes it to
 * openapi.json; a test fails when the committed copy differs.
 */

/** Errors any authenticated route can answer: bad input, the digest challenge, access lists, throttling, faults. */
const COMMON_ERRORS = [400, 401, 403, 404, 429, 500] as const;
const BODY_ERRORS = [413, 415] as const;
/** A path parameter longer than the router takes (server.ts, maxParamLength) is 414 URI Too Long, before any route runs. */
const PATH_ERRORS = [414] as const;
/** Errors of the control API: bad input, no or a wrong token (401), a remote caller without a token configured (403). */
const CONTROL_ERRORS = [400, 401, 403, 404, 500] as const;

const ERROR_SCHEMA = {
  type: 'object',
  required: ['detail', 'error', 'errorCode', 'parameters', 'reason'],
  properties: {
    detail: { type: 'string' },
    error: { type: 'integer' },
    errorCode: { type: 'string' },
    parameters: { type: 'array', items: { type: 'string' } },
    reason: { type: 'string' },
  },
  additionalProperties: false,
};

const ID_PATTERN = '^([a-f0-9]{24})$';

export function buildOpenApiDocument(routes: readonly RouteDefinition[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    for (const path of route.paths) {
      const openApiPath = path.replace(/:([A-Za-z]+)/g, '{$1}');
      const operations = (paths[openApiPath] ??= {});
      operations[route.method.toLowerCase()] = operationFor(route, path);
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'livelink',
      version,
      description:
        'The Ops Manager live-migration organization link (source) and the Atlas link-token API (target). ' +
        'Every /api/ route uses HTTP Digest authentication with a programmatic API key (public key as user name, private key as password). ' +
        'The rehearsal control API under /_livelink/control/v1 (tag "Rehearsal controls") takes the admin token of --control-token ' +
        '(LIVELINK_CONTROL_TOKEN) as Authorization: Bearer; with no token configured it answers calls from loopback only.',
    },
    components: {
      securitySchemes: {
        digest: { type: 'http', scheme: 'digest' },
        // One requirement, not an alternative `{}`: that would call the token optional on every server, while a
        // server with a token refuses a caller without it, wherever the caller is.
        controlToken: {
          type: 'http',
          scheme: 'bearer',
          description:
            'The admin token of --control-token (LIVELINK_CONTROL_TOKEN), required from every caller once configured (401 CONTROL_UNAUTHORIZED). ' +
            'A server with no token configured needs none from a caller on its own machine (loopback) and refuses any other (403 CONTROL_LOOPBACK_ONLY).',
        },
      },
      schemas: { ApiError: ERROR_SCHEMA },
    },
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
  };
}

function operationFor(route: RouteDefinition, path: string): Record<string, unknown> {
  const isPublic = route.access.kind === 'public';
  const versions = route.versions ?? DEFAULT_RESOURCE_VERSIONS;
  // One media type per resource version on Atlas v2, as Atlas's own specification lists them.
  const successMediaTypes = servesVersions(path) ? versions.map(atlasMediaType) : [JSON_MEDIA_TYPE];
  const pathParameters = [...path.matchAll(/:([A-Za-z]+)/g)].map(([, name = '']) => {
    const declared = route.params?.[name];
    return {
      name,
      in: 'path',
      required: true,
      // What the route declares; else ids are 24 hex digits, and a name (a migration host's hostname) is any string.
      schema: declared !== undefined ? plain(declared) : name.endsWith('Id') ? { type: 'string', pattern: ID_PATTERN } : { type: 'string' },
    };
  });
  const wireParameters = [
    {
      name: 'pretty',
      in: 'query',
      required: false,
      schema: { type: 'boolean', default: false },
      description: 'Pretty-print the response body.',
    },
    {
      name: 'envelope',
      in: 'query',
      required: false,
      schema: { type: 'boolean', default: false },
      description: 'Wrap the response body as {"content", "status"}.',
    },
  ];
  const responses: Record<string, unknown> = {};
  const statuses = successStatuses(route);
  for (const success of statuses) {
    if (success === 204) {
      responses['204'] = { description: 'No Content' };
      // envelope=true turns a 204 into a 200 whose body carries the status.
      if (!statuses.includes(200))
        responses['200'] = {
          description: 'No Content, enveloped',
          content: { [JSON_MEDIA_TYPE]: { schema: enveloped({ type: 'null' }) } },
        };
    } else if (success === 202 && route.response === undefined) {
      // Atlas's "Accepted": no body (with envelope=true, the envelope of none).
      responses['202'] = { description: 'Accepted, no body; with envelope=true {"content": null, "status": 202}' };
    } else {
      const schema = route.response === undefined ? {} : plain(route.response);
      const content = { schema: { oneOf: [schema, enveloped(schema)] } };
      responses[String(success)] = {
        description: 'Success',
        content: Object.fromEntries(successMediaTypes.map((mediaType) => [mediaType, content])),
      };
    }
  }
  const isControl = route.access.kind === 'control';
  if (!isPublic) {
    const statuses = new Set<number>([
      ...(isControl ? CONTROL_ERRORS : COMMON_ERRORS),
      ...(route.body === undefined ? [] : BODY_ERRORS),
      ...(pathParameters.length === 0 ? [] : PATH_ERRORS),
      ...(route.errors ?? []),
    ]);
    for (const status of [...statuses].sort((a, b) => a - b)) {
      responses[String(status)] = {
        description: `Error ${status}`,
        content: {
          [JSON_MEDIA_TYPE]: {
            schema: { oneOf: [{ $ref: '#/components/schemas/ApiError' }, enveloped({ $ref: '#/components/schemas/ApiError' })] },
          },
        },
      };
    }
  }
  const operation: Record<string, unknown> = {
    operationId: operationIdFor(route, path),
    summary: route.summary,
    tags: [isControl ? 'Rehearsal controls' : tagFor(path)],
    parameters: [...pathParameters, ...(isPublic ? [] : wireParameters)],
    responses,
  };
  if (!isPublic) operation['security'] = [isControl ? { controlToken: [] } : { digest: [] }];
  if (route.body !== undefined) {
    // One schema for any media type, or one per resource version under that version's media type.
    const schemas: [string, Record<string, unknown>][] = KindGuard.IsSchema(route.body)
      ? [[JSON_MEDIA_TYPE, plain(route.body)]]
      : Object.entries(route.body).map(([version, schema]) => [atlasMediaType(version), plain(schema)]);
    // A body is required when its schema requires a field: an absent body is then a MISSING_ATTRIBUTE.
    const required = schemas.some(([, schema]) => Array.isArray(schema['required']) && schema['required'].length > 0);
    operation['requestBody'] = { required, content: Object.fromEntries(schemas.map(([mediaType, schema]) => [mediaType, { schema }])) };
  }
  return operation;
}

function enveloped(schema: Record<string, unknown>): Record<string, unknown> {
  return {
    type: 'object',
    required: ['content', 'status'],
    properties: { content: schema, status: { type: 'integer' } },
    additionalProperties: false,
  };
}

/** One operationId per path: the route's name, with a suffix for each alias. */
function operationIdFor(route: RouteDefinition, path: string): string {
  const index = route.paths.indexOf(path);
  if (index <= 0) return route.name;
  const base = path.startsWith('/api/atlas/v2/') ? 'AtlasV2' : path.startsWith('/api/atlas/v1.0/') ? 'AtlasV1' : `Alias${index}`;
  return `${route.name}${base}`;
}

function tagFor(path: string): string {
  if (path.includes('/liveExport/')) return 'Live Migration Organization Link';
  if (path.includes('/liveMigrations/')) return 'Cloud Migration Service';
  if (path.startsWith('/api/')) return 'Organizations and Projects';
  return 'Operations';
}

/** TypeBox schemas are JSON Schema (as OpenAPI 3.1 is) with symbol-keyed metadata, which JSON drops. */
function plain(schema: TSchema): Record<string, unknown> {
  return JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
}
