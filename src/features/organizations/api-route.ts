import { routeDefiner, type RouteDefinition } from '../../http/route.js';
import type { ApiKey, RoleRequirement } from '../api-keys/api-key.js';
import type { Organization, Project } from './organization.js';

/**
 * The domain types livelink's Public API routes are written against. The edge knows only the few fields
 * it checks; the composition root binds these types to it, and a handler gets them whole.
 */
export interface ApiTypes {
  key: ApiKey;
  organization: Organization;
  project: Project;
  role: RoleRequirement;
}

export type ApiRoute = RouteDefinition<ApiTypes>;

/** Declares a Public API route: its access types the handler's context (`organization`, `project`, `apiKey`). */
export const defineRoute = routeDefiner<ApiTypes>();
