import { Type } from '@sinclair/typebox';
import { pagedList, type Link } from '../../http/paging.js';
import { defineRoute, type ApiRoute } from '../organizations/api-route.js';
import type { User } from './user.js';
import type { UserService } from './user-service.js';

const PUBLIC_API = '/api/public/v1.0';
const LinkSchema = Type.Object({ href: Type.String(), rel: Type.String() });

/**
 * Ops Manager's organization user, as far as livelink knows a person: the id, the username they sign in
 * with and their one organization role. livelink keeps no names, e-mail address, country or mobile number,
 * so those fields are left out rather than made up; a user is in no team.
 */
const UserSchema = Type.Object({
  id: Type.String({ pattern: '^[a-f0-9]{24}$' }),
  links: Type.Array(LinkSchema),
  roles: Type.Array(Type.Object({ orgId: Type.String(), roleName: Type.String() })),
  teamIds: Type.Array(Type.String()),
  username: Type.String(),
});

function userView(user: User, origin: string) {
  return {
    id: user.id,
    links: [{ href: `${origin}${PUBLIC_API}/users/${user.id}`, rel: 'self' }] satisfies Link[],
    roles: [{ orgId: user.orgId, roleName: user.role }],
    teamIds: [] as string[],
    username: user.username,
  };
}

/** `GET /orgs/{orgId}/users`, Ops Manager's "Get All Organization Users": any role of the organization reads it. */
export function userRoutes(users: UserService): ApiRoute[] {
  return [
    defineRoute({
      name: 'listOrganizationUsers',
      summary: "Return the organization's users",
      method: 'GET',
      paths: [`${PUBLIC_API}/orgs/:orgId/users`],
      access: { kind: 'organization', role: 'ORG_READ_ONLY' },
      response: Type.Object({ links: Type.Array(LinkSchema), results: Type.Array(UserSchema), totalCount: Type.Integer() }),
      async handle({ organization, origin, query }) {
        const views = (await users.list(organization.id)).map((user) => userView(user, origin));
        return { status: 200, body: pagedList(views, query, `${origin}${PUBLIC_API}/orgs/${organization.id}/users`) };
      },
    }),
  ];
}
