import { Type } from '@sinclair/typebox';
import { apiErrors } from '../../http/api-error.js';
import { atlasPagedList, type Link } from '../../http/paging.js';
import { defineRoute, type ApiRoute } from '../organizations/api-route.js';
import { majorVersionOf, type ClusterDescription } from './cluster.js';
import type { ClusterService } from './cluster-service.js';

/** Atlas serves its clusters on the Admin API v2 and on the legacy v1.0 (plain application/json). */
const ATLAS_BASES = [
  { base: '/api/atlas/v2', suffix: '' },
  { base: '/api/atlas/v1.0', suffix: 'AtlasV1' },
] as const;

const LinkSchema = Type.Object({ href: Type.String(), rel: Type.String() });

/**
 * The versions of Atlas's clusters resource. livelink answers every one with the same fields, those of
 * `ClusterDescription20240805` it knows, which the older versions have too; the media type says which
 * version the client was given.
 */
const CLUSTER_VERSIONS = ['2023-01-01', '2023-02-01', '2024-08-05'] as const;

/**
 * Atlas's `ClusterDescription20240805`, as far as livelink knows a cluster: a replica set that is up
 * (IDLE, not paused), its version as the server reported it, and its standard connection string
 * without credentials. Atlas would give an SRV string as `standardSrv` too; livelink gives the string
 * the cluster was created with, whichever form it has, as `standard`.
 */
const ClusterSchema = Type.Object({
  clusterType: Type.Literal('REPLICASET'),
  connectionStrings: Type.Object({ standard: Type.String() }),
  createDate: Type.String({ format: 'date-time' }),
  groupId: Type.String({ pattern: '^[a-f0-9]{24}$' }),
  id: Type.String({ pattern: '^[a-f0-9]{24}$' }),
  links: Type.Array(LinkSchema),
  mongoDBMajorVersion: Type.String(),
  mongoDBVersion: Type.String(),
  name: Type.String(),
  paused: Type.Boolean(),
  stateName: Type.Literal('IDLE'),
});

/** `PaginatedClusterDescription20240805`: `totalCount` is left out when the client asks `includeCount=false`. */
const ClusterListSchema = Type.Object({
  links: Type.Array(LinkSchema),
  results: Type.Array(ClusterSchema),
  totalCount: Type.Optional(Type.Integer({ minimum: 0 })),
});

function clusterView(description: ClusterDescription, clustersUrl: string) {
  const { cluster } = description;
  return {
    clusterType: 'REPLICASET' as const,
    connectionStrings: { standard: description.standardConnectionString },
    createDate: cluster.createdAt,
    groupId: cluster.groupId,
    id: cluster.id,
    links: [{ href: `${clustersUrl}/${encodeURIComponent(cluster.name)}`, rel: 'self' }] satisfies Link[],
    mongoDBMajorVersion: majorVersionOf(cluster.mongoDBVersion),
    mongoDBVersion: cluster.mongoDBVersion,
    name: cluster.name,
    paused: false,
    stateName: 'IDLE' as const,
  };
}

/**
 * The target's destination clusters, read-only as Atlas serves them: every role of the project's
 * organization may read them (Atlas's Project Read Only and up). They are made with `livelink cluster create`.
 */
export function clusterRoutes(clusters: ClusterService): ApiRoute[] {
  return ATLAS_BASES.flatMap(({ base, suffix }) => [
    defineRoute({
      name: `listClusters${suffix}`,
      summary: "Return a project's clusters",
      method: 'GET',
      paths: [`${base}/groups/:groupId/clusters`],
      access: { kind: 'project', role: 'ORG_READ_ONLY' },
      versions: CLUSTER_VERSIONS,
      response: ClusterListSchema,
      async handle({ project, query, origin }) {
        const clustersUrl = `${origin}${base}/groups/${project.id}/clusters`;
        const views = (await clusters.list(project.id)).map((description) => clusterView(description, clustersUrl));
        return { status: 200, body: atlasPagedList(views, query, clustersUrl) };
      },
    }),
    defineRoute({
      name: `getCluster${suffix}`,
      summary: 'Return one cluster',
      method: 'GET',
      paths: [`${base}/groups/:groupId/clusters/:clusterName`],
      access: { kind: 'project', role: 'ORG_READ_ONLY' },
      versions: CLUSTER_VERSIONS,
      response: ClusterSchema,
      async handle({ project, params, origin }) {
        const name = params['clusterName'] ?? '';
        const description = await clusters.describe(project.id, name);
        if (description === undefined) throw apiErrors.clusterNotFoundInGroup(name, project.id);
        return { status: 200, body: clusterView(description, `${origin}${base}/groups/${project.id}/clusters`) };
      },
    }),
  ]);
}
