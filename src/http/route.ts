import type { TSchema } from '@sinclair/typebox';
import type { FastifyBaseLogger } from 'fastify';
import type { ApiKey, RoleRequirement } from '../features/api-keys/api-key.js';
import type { Organization, Project } from '../features/organizations/organization.js';

/**
 * Who may call a route. Every route in the table declares one; the edge enforces it before the
 * handler runs, so a handler never checks roles itself.
 */
export type RouteAccess =
  /** No authentication (health, the OpenAPI document). */
  | { kind: 'public' }
  /** Any authenticated key; the handler narrows what it shows (GET /orgs). */
  | { kind: 'authenticated' }
  /** A role in the organization named by the `:orgId` path parameter. */
  | { kind: 'organization'; role: RoleRequirement }
  /** A role in the organization owning the project named by `:groupId`. */
  | { kind: 'project'; role: RoleRequirement }
  | { kind: 'global'; role: RoleRequirement };

export interface RouteContext<Body = unknown> {
  params: Readonly<Record<string, string>>;
  query: Readonly<Record<string, string | undefined>>;
  body: Body;
  /** The authenticated key; set on every route but the public ones. */
  apiKey: ApiKey | undefined;
  /** The organization of an organization route, or the project's organization of a project route. */
  organization: Organization | undefined;
  project: Project | undefined;
  clientIp: string;
  /** `http(s)://host` as the client addressed us, for `links`. */
  origin: string;
  log: FastifyBaseLogger;
}

export interface RouteResult {
  status: 200 | 201 | 202 | 204;
  body?: unknown;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteDefinition<Body = unknown> {
  /** Unique, like an OpenAPI operationId. */
  name: string;
  summary: string;
  method: HttpMethod;
  /** Every path this operation answers on (aliases included), Fastify syntax (`:orgId`). */
  paths: readonly string[];
  access: RouteAccess;
  /** The request body's schema; unknown fields are refused (additionalProperties: false). */
  body?: TSchema;
  /** The success response's schema, for the OpenAPI document. */
  response?: TSchema;
  /** A larger body limit than the server's default, for a route that takes large bodies (bytes). */
  bodyLimitBytes?: number;
  /** Error statuses this route adds to those every Public API route can answer (see openapi.ts). */
  errors?: readonly number[];
  handle(context: RouteContext<Body>): Promise<RouteResult>;
}

/** Lets a feature declare a route with a typed body while the table holds them all. */
export function defineRoute<Body>(route: RouteDefinition<Body>): RouteDefinition {
  return route as RouteDefinition;
}
