import type { FastifyRequest } from 'fastify';
import { isObjectId } from '../shared/ids.js';
import { ApiError, apiErrors } from './api-error.js';
import { checkControlAccess } from './control-access.js';
import type { AccessDirectory, EdgeTypes, RoleCheck } from './edge-types.js';
import { stateOf, type RequestState } from './request-state.js';
import type { AccessKind, GrantedAccess, RouteAccess } from './route.js';

export interface AuthorizationOptions<T extends EdgeTypes> {
  directory: AccessDirectory<T>;
  keyMeetsRequirement: RoleCheck<T>;
  /** The control API's admin token; undefined admits control calls from loopback only. */
  controlToken: string | undefined;
}

/**
 * The second step: the route's declared access, after authentication and before the body is parsed.
 * A key without the role, a key of another organization and an organization that does not exist all
 * get the same 401, so a key cannot probe which organizations exist. Only a global key the route
 * admits, which may see every organization, is told ORG_NOT_FOUND.
 */
export function authorizationStep<T extends EdgeTypes>(
  options: AuthorizationOptions<T>,
): (request: FastifyRequest, access: RouteAccess<T['role']>) => Promise<void> {
  const { directory, keyMeetsRequirement, controlToken } = options;

  async function checkAccess(request: FastifyRequest, state: RequestState<T>, access: RouteAccess<T['role']>): Promise<void> {
    if (access.kind === 'public' || access.kind === 'authenticated') return;
    if (access.kind === 'control') return checkControlAccess(request.headers.authorization, state.clientIp, controlToken);
    const key = state.apiKey;
    if (key === undefined) throw apiErrors.userUnauthorized();
    const params = request.params as Record<string, string | undefined>;
    // Only a global key whose role the route admits may learn that an organization or project is missing.
    const globallyAdmitted = keyMeetsRequirement(key, access.role, undefined);
    switch (access.kind) {
      case 'global':
        if (!globallyAdmitted) throw apiErrors.userUnauthorized();
        return;
      case 'organization': {
        const orgId = params['orgId'] ?? '';
        if (!isObjectId(orgId)) throw apiErrors.invalidOrgId(orgId);
        const known = state.keyOrganization;
        const organization = known?.id === orgId ? known : await directory.getOrganization(orgId);
        if (organization === undefined) throw globallyAdmitted ? apiErrors.orgNotFound(orgId) : apiErrors.userUnauthorized();
        if (!keyMeetsRequirement(key, access.role, orgId)) throw apiErrors.userUnauthorized();
        state.organization = organization;
        return;
      }
      case 'project': {
        const groupId = params['groupId'] ?? '';
        if (!isObjectId(groupId)) throw apiErrors.invalidGroupId(groupId);
        const project = await directory.getProject(groupId);
        if (project === undefined) throw globallyAdmitted ? apiErrors.groupNotFound(groupId) : apiErrors.userUnauthorized();
        if (!keyMeetsRequirement(key, access.role, project.orgId)) throw apiErrors.userUnauthorized();
        // The handler's too. A project's organization exists (a foreign key); were it gone, so is the project.
        const organization = await directory.getOrganization(project.orgId);
        if (organization === undefined) throw globallyAdmitted ? apiErrors.groupNotFound(groupId) : apiErrors.userUnauthorized();
        state.project = project;
        state.organization = organization;
        return;
      }
    }
  }

  return async function authorize(request, access) {
    const state = stateOf<T>(request);
    try {
      await checkAccess(request, state, access);
    } catch (error) {
      if (error instanceof ApiError && access.kind === 'control') {
        request.log.info({ event: 'control-denied', errorCode: error.errorCode, ip: state.clientIp }, 'control call refused');
      } else if (error instanceof ApiError && error.status === 401) {
        const params = request.params as Record<string, string | undefined>;
        request.log.info(
          {
            event: 'authorization-denied',
            publicKey: state.apiKey?.publicKey,
            orgId: params['orgId'],
            groupId: params['groupId'],
            ip: state.clientIp,
          },
          'the key may not call this route',
        );
      }
      throw error;
    }
  };
}

/**
 * What a handler of a route of `kind` gets, from what the steps established. A missing value here is a
 * fault of the edge (a route of that kind outside /api/, where nothing is authenticated), never a 401.
 */
export function grantedAccess<T extends EdgeTypes>(state: RequestState<T>, kind: AccessKind): GrantedAccess<T>[AccessKind] {
  switch (kind) {
    case 'public':
      return { apiKey: state.apiKey, organization: undefined, project: undefined };
    case 'control':
      return { apiKey: undefined, organization: undefined, project: undefined };
    case 'authenticated':
    case 'global':
      return { apiKey: established(state.apiKey, 'key'), organization: undefined, project: undefined };
    case 'organization':
      return {
        apiKey: established(state.apiKey, 'key'),
        organization: established(state.organization, 'organization'),
        project: undefined,
      };
    case 'project':
      return {
        apiKey: established(state.apiKey, 'key'),
        organization: established(state.organization, 'organization'),
        project: established(state.project, 'project'),
      };
  }
}

function established<V>(value: V | undefined, what: string): V {
  if (value === undefined) throw new Error(`the edge established no ${what} for a route that declares one`);
  return value;
}
