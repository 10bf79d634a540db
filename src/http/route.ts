import type { Static, TSchema } from '@sinclair/typebox';
import type { FastifyBaseLogger } from 'fastify';
import type { EdgeTypes } from './edge-types.js';

/**
 * Who may call a route. Every route in the table declares one; the edge enforces it before the
 * handler runs, so a handler never checks roles itself.
 */
export type RouteAccess<Role extends string = string> =
  /** No authentication (health, the OpenAPI document). */
  | { kind: 'public' }
  /** Any authenticated key; the handler narrows what it shows (GET /orgs). */
  | { kind: 'authenticated' }
  /** A role in the organization named by the `:orgId` path parameter. */
  | { kind: 'organization'; role: Role }
  /** A role in the organization owning the project named by `:groupId`. */
  | { kind: 'project'; role: Role }
  | { kind: 'global'; role: Role }
  /**
   * The rehearsal control API: the admin token from the configuration (`Authorization: Bearer`), or, when
   * none is configured, a caller on this machine (control-access.ts). No API key is involved.
   */
  | { kind: 'control' };

export type AccessKind = RouteAccess['kind'];

/**
 * What the edge has established before a handler runs, by the route's declared access: the handler of
 * an organization route gets its organization, that of a project route the project and its organization.
 */
export interface GrantedAccess<T extends EdgeTypes> {
  /** Outside /api/ nobody is asked for a key. */
  public: { apiKey: T['key'] | undefined; organization: undefined; project: undefined };
  authenticated: { apiKey: T['key']; organization: undefined; project: undefined };
  global: { apiKey: T['key']; organization: undefined; project: undefined };
  organization: { apiKey: T['key']; organization: T['organization']; project: undefined };
  project: { apiKey: T['key']; organization: T['organization']; project: T['project'] };
  control: { apiKey: undefined; organization: undefined; project: undefined };
}

/** What every handler gets, whatever its access. */
export interface RequestFacts<Body> {
  params: Readonly<Record<string, string>>;
  query: Readonly<Record<string, string | undefined>>;
  /** The body, validated against the route's schema; undefined on a route that takes none. */
  body: Body;
  clientIp: string;
  /** `http(s)://host` as the client addressed us, for `links`. */
  origin: string;
  log: FastifyBaseLogger;
}

export type RouteContext<T extends EdgeTypes, Kind extends AccessKind = AccessKind, Body = unknown> = RequestFacts<Body> &
  GrantedAccess<T>[Kind];

/**
 * A body schema per resource version (`{"2023-01-01": ..., "2024-05-30": ...}`), for an Atlas v2 route whose
 * request body changed between versions: the edge validates the body against the version the request
 * names (media-type.ts), and the handler gets the union of the versions' types.
 */
export interface VersionedBody {
  readonly [version: string]: TSchema;
}

/** What a route may declare as its body: one schema, one per version, or none. */
export type BodySchema = TSchema | VersionedBody | undefined;

/** The type a body schema validates to; undefined for a route without one. */
export type BodyOf<Schema extends BodySchema> = Schema extends TSchema
  ? Static<Schema>
  : Schema extends VersionedBody
    ? { [Version in keyof Schema]: Static<Schema[Version]> }[keyof Schema]
    : undefined;

/** The statuses a handler answers on success. */
export type SuccessStatus = 200 | 201 | 202 | 204;

export interface RouteResult {
  status: SuccessStatus;
  body?: unknown;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * One operation of the route table. `Kind` and `Schema` are what the route declares (its access and its
 * body schema), and they type its handler's context; the table holds routes of every kind.
 */
export interface RouteDefinition<
  T extends EdgeTypes = EdgeTypes,
  Kind extends AccessKind = AccessKind,
  Schema extends BodySchema = BodySchema,
> {
  /** Unique, like an OpenAPI operationId. */
  name: string;
  summary: string;
  method: HttpMethod;
  /** Every path this operation answers on (aliases included), Fastify syntax (`:orgId`). */
  paths: readonly string[];
  access: RouteAccess<T['role']> & { kind: Kind };
  /**
   * Path parameters whose values are narrower than the document's default (an `...Id` is 24 hex digits, any
   * other a string), for the OpenAPI document: e.g. a snapshot's name. The handler's service refuses a value
   * that does not fit, as it would a value of the default.
   */
  params?: Readonly<Record<string, TSchema>>;
  /** The request body's schema (or one per resource version); unknown fields are refused (additionalProperties: false). */
  body?: Schema;
  /**
   * The Atlas resource versions (dates) the operation serves on /api/atlas/v2, oldest first; the edge
   * answers each request with one of them (media-type.ts). Default DEFAULT_RESOURCE_VERSIONS.
   */
  versions?: readonly string[];
  /**
   * The success status, for the OpenAPI document, when it is not the method's usual one (POST 201, DELETE 204,
   * else 200); every one of them for a route that answers several (a PUT: 200 replaced, 201 created).
   */
  status?: SuccessStatus | readonly SuccessStatus[];
  /** The success response's schema, for the OpenAPI document. */
  response?: TSchema;
  /** A larger body limit than the server's default, for a route that takes large bodies (bytes). */
  bodyLimitBytes?: number;
  /** Error statuses this route adds to those every Public API route can answer (see openapi.ts). */
  errors?: readonly number[];
  // Method syntax on purpose: a table of routes of every kind must hold each route's narrower handler.
  // The edge keeps the pairing sound: it builds the context from the access this same route declares.
  handle(context: RouteContext<T, Kind, BodyOf<Schema>>): Promise<RouteResult>;
}

/** What a route answers on success: what it declares, else the method's usual status. */
export function successStatuses(route: Pick<RouteDefinition, 'method' | 'status'>): readonly SuccessStatus[] {
  if (route.status !== undefined) return typeof route.status === 'number' ? [route.status] : route.status;
  if (route.method === 'DELETE') return [204];
  if (route.method === 'POST') return [201];
  return [200];
}

/**
 * The route declarer for one set of domain types: the features make theirs once and declare every route
 * with it, so that each handler's context follows from the route's own access and body schema.
 */
export function routeDefiner<T extends EdgeTypes>() {
  return function defineRoute<Kind extends AccessKind, Schema extends BodySchema = undefined>(
    route: RouteDefinition<T, Kind, Schema>,
  ): RouteDefinition<T> {
    return route;
  };
}
