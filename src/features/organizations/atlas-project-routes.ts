import { Type } from '@sinclair/typebox';
import type { Link } from '../../http/paging.js';
import { defineRoute, type ApiRoute } from './api-route.js';

const ATLAS_BASES = [
  { base: '/api/atlas/v2', suffix: '' },
  { base: '/api/atlas/v1.0', suffix: 'V1' },
] as const;

/**
 * Atlas's `Group` (v2 `2023-01-01`), as far as livelink knows a project: its required `clusterCount`,
 * `created`, `name` and `orgId`, its id and self link, and no tags.
 */
const AtlasGroupSchema = Type.Object({
  clusterCount: Type.Integer({ minimum: 0 }),
  created: Type.String({ format: 'date-time' }),
  id: Type.String({ pattern: '^[a-f0-9]{24}$' }),
  links: Type.Array(Type.Object({ href: Type.String(), rel: Type.String() })),
  name: Type.String(),
  orgId: Type.String({ pattern: '^[a-f0-9]{24}$' }),
  tags: Type.Array(Type.Object({ key: Type.String(), value: Type.String() })),
});

/**
 * `GET /groups/{groupId}` on the target (Atlas's `getProject`): every role of the project's organization
 * reads it (Atlas asks for Project Read Only). `clusterCount` counts the project's destination clusters.
 */
export function atlasProjectRoutes(clusterCount: (projectId: string) => Promise<number>): ApiRoute[] {
  return ATLAS_BASES.map(({ base, suffix }) =>
    defineRoute({
      name: `getAtlasProject${suffix}`,
      summary: 'Return one project (Atlas)',
      method: 'GET',
      paths: [`${base}/groups/:groupId`],
      access: { kind: 'project', role: 'ORG_READ_ONLY' },
      response: AtlasGroupSchema,
      async handle({ project, origin }) {
        return {
          status: 200,
          body: {
            clusterCount: await clusterCount(project.id),
            created: project.createdAt,
            id: project.id,
            links: [{ href: `${origin}${base}/groups/${project.id}`, rel: 'self' }] satisfies Link[],
            name: project.name,
            orgId: project.orgId,
            tags: [] as { key: string; value: string }[],
          },
        };
      },
    }),
  );
}
