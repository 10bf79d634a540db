import type { FastifyRequest } from 'fastify';
import type { EdgeTypes } from './edge-types.js';

/** What the edge learns of a request on its way to the handler; each step fills in its part. */
export interface RequestState<T extends EdgeTypes = EdgeTypes> {
  clientIp: string;
  /** Set by authentication on every /api/ request it lets through. */
  apiKey: T['key'] | undefined;
  /** The key's own organization, when authentication had to read it (require-access-list). */
  keyOrganization: T['organization'] | undefined;
  /** Set by authorization: the route's organization (the project's, on a project route). */
  organization: T['organization'] | undefined;
  project: T['project'] | undefined;
}

declare module 'fastify' {
  interface FastifyRequest {
    livelink: RequestState;
  }
  interface FastifyContextConfig {
    /** The route's declared access, enforced (set on every route of the table). */
    authorize?: (request: FastifyRequest) => Promise<void>;
  }
}

export function newRequestState(clientIp: string): RequestState {
  return { clientIp, apiKey: undefined, keyOrganization: undefined, organization: undefined, project: undefined };
}

/**
 * The request's state with the domain types of the server it came through. Fastify's declaration of
 * `request.livelink` cannot be generic, so it names the edge's own types; every value in it was put
 * there by the steps of one server, each typed with that server's `T`.
 */
export function stateOf<T extends EdgeTypes>(request: FastifyRequest): RequestState<T> {
  return request.livelink as RequestState<T>;
}
