import { Type } from '@sinclair/typebox';
import { apiErrors } from '../../http/api-error.js';
import { isGlobalRole, keyMeetsRequirement, MIGRATION_HOST_ROLE } from '../api-keys/api-key.js';
import { pagedList, type Link } from '../../http/paging.js';
import { defineRoute, type ApiRoute } from './api-route.js';
import type { Organization, Project } from './organization.js';
import type { OrganizationService } from './organization-service.js';

const PUBLIC_API = '/api/public/v1.0';

/** Ops Manager's organization shape. */
export function organizationView(org: Organization, origin: string): { id: string; isDeleted: boolean; links: Link[]; name: string } {
  return { id: org.id, isDeleted: false, links: [{ href: `${origin}${PUBLIC_API}/orgs/${org.id}`, rel: 'self' }], name: org.name };
}

const OrganizationSchema = Type.Object({
  id: Type.String({ pattern: '^[a-f0-9]{24}$' }),
  isDeleted: Type.Boolean(),
  links: Type.Array(Type.Object({ href: Type.String(), rel: Type.String() })),
  name: Type.String(),
});

const ProjectSchema = Type.Object({
  activeAgentCount: Type.Integer(),
  hostCounts: Type.Record(Type.String(), Type.Integer()),
  id: Type.String({ pattern: '^[a-f0-9]{24}$' }),
  links: Type.Array(Type.Object({ href: Type.String(), rel: Type.String() })),
  name: Type.String(),
  orgId: Type.String(),
  publicApiEnabled: Type.Boolean(),
  replicaSetCount: Type.Integer(),
  shardCount: Type.Integer(),
  tags: Type.Array(Type.String()),
});

function listOf(item: ReturnType<typeof Type.Object>) {
  return Type.Object({
    links: Type.Array(Type.Object({ href: Type.String(), rel: Type.String() })),
    results: Type.Array(item),
    totalCount: Type.Integer(),
  });
}

export function organizationRoutes(organizations: OrganizationService): ApiRoute[] {
  async function projectView(project: Project, origin: string) {
    const deployments = await organizations.listDeployments(project.id);
    const sharded = deployments.filter((d) => d.sharded);
    return {
      activeAgentCount: 0,
      hostCounts: { arbiter: 0, config: 0, master: 0, mongos: 0, primary: 0, recovering: 0, secondary: 0, slave: 0 },
      id: project.id,
      links: [{ href: `${origin}${PUBLIC_API}/groups/${project.id}`, rel: 'self' }],
      name: project.name,
      orgId: project.orgId,
      publicApiEnabled: true,
      replicaSetCount: deployments.length - sharded.length + sharded.reduce((n, d) => n + (d.shardsSize ?? 0), 0),
      shardCount: sharded.reduce((n, d) => n + (d.shardsSize ?? 0), 0),
      tags: [],
    };
  }

  return [
    defineRoute({
      name: 'listOrganizations',
      summary: 'Return the organizations the API key can see',
      method: 'GET',
      paths: [`${PUBLIC_API}/orgs`],
      access: { kind: 'authenticated' },
      response: listOf(OrganizationSchema),
      async handle({ apiKey, query, origin }) {
        // A migration host's key may call its job routes and nothing else, this list included.
        if (apiKey.roles.every((role) => role === MIGRATION_HOST_ROLE)) throw apiErrors.userUnauthorized();
        const global = apiKey.roles.some(isGlobalRole);
        const visible = global
          ? await organizations.listOrganizations()
          : await organizations.listOrganizations(apiKey.orgId === null ? [] : [apiKey.orgId]);
        const named = query['name'] === undefined ? visible : visible.filter((o) => o.name === query['name']);
        return {
          status: 200,
          body: pagedList(
            named.map((o) => organizationView(o, origin)),
            query,
            `${origin}${PUBLIC_API}/orgs`,
          ),
        };
      },
    }),
    defineRoute({
      name: 'getOrganization',
      summary: 'Return one organization',
      method: 'GET',
      paths: [`${PUBLIC_API}/orgs/:orgId`],
      access: { kind: 'organization', role: 'ORG_READ_ONLY' },
      response: OrganizationSchema,
      handle({ organization, origin }) {
        return Promise.resolve({ status: 200, body: organizationView(organization, origin) });
      },
    }),
    defineRoute({
      name: 'listOrganizationProjects',
      summary: "Return an organization's projects",
      method: 'GET',
      paths: [`${PUBLIC_API}/orgs/:orgId/groups`],
      access: { kind: 'organization', role: 'ORG_READ_ONLY' },
      response: listOf(ProjectSchema),
      async handle({ organization, origin, query }) {
        const projects = await organizations.listProjects(organization.id);
        const views = await Promise.all(projects.map((p) => projectView(p, origin)));
        return { status: 200, body: pagedList(views, query, `${origin}${PUBLIC_API}/orgs/${organization.id}/groups`) };
      },
    }),
    defineRoute({
      name: 'listProjects',
      summary: 'Return every project the API key can see',
      method: 'GET',
      paths: [`${PUBLIC_API}/groups`],
      access: { kind: 'authenticated' },
      response: listOf(ProjectSchema),
      async handle({ apiKey, query, origin }) {
        // Ops Manager's "Get All Projects": a global reader sees every organization's projects, a key of an
        // organization (any role a person has) its organization's; the link-token's and a migration host's
        // keys, which may read nothing, are refused as on any other route.
        let projects: Project[];
        if (keyMeetsRequirement(apiKey, 'GLOBAL_READ_ONLY', undefined)) {
          const orgs = await organizations.listOrganizations();
          projects = (await Promise.all(orgs.map((org) => organizations.listProjects(org.id)))).flat();
        } else if (apiKey.orgId !== null && keyMeetsRequirement(apiKey, 'ORG_READ_ONLY', apiKey.orgId)) {
          projects = await organizations.listProjects(apiKey.orgId);
        } else {
          throw apiErrors.userUnauthorized();
        }
        // The page first: a project's view reads its deployments.
        const page = pagedList(projects, query, `${origin}${PUBLIC_API}/groups`);
        return { status: 200, body: { ...page, results: await Promise.all(page.results.map((p) => projectView(p, origin))) } };
      },
    }),
    defineRoute({
      name: 'getProject',
      summary: 'Return one project',
      method: 'GET',
      paths: [`${PUBLIC_API}/groups/:groupId`],
      access: { kind: 'project', role: 'ORG_READ_ONLY' },
      response: ProjectSchema,
      async handle({ project, origin }) {
        return { status: 200, body: await projectView(project, origin) };
      },
    }),
  ];
}
