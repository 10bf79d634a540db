import { Type, type Static } from '@sinclair/typebox';
import type { ProjectInventory } from '../organizations/organization.js';

/**
 * Atlas's AvailableProject / AvailableDeployment (v2 `LiveImportAvailableProject`, as its OpenAPI
 * specification declares it): what `availableProjects` returns, and what a source organization pushes
 * to the target. Absent optional facts are left out, not null.
 * Strings carry no maxLength: JSON Schema counts characters where the validator counts UTF-16 units,
 * so a limit would refuse valid names with characters outside the BMP; the body limit bounds size.
 */
export const AvailableDeploymentSchema = Type.Object(
  {
    agentVersion: Type.Optional(Type.String()),
    clusterId: Type.Optional(Type.String({ pattern: '^[a-f0-9]{24}$' })),
    dbSizeBytes: Type.Optional(Type.Integer({ minimum: 0 })),
    featureCompatibilityVersion: Type.String(),
    managed: Type.Boolean(),
    mongoDBVersion: Type.String(),
    name: Type.String({ minLength: 1 }),
    oplogSizeMB: Type.Optional(Type.Integer({ minimum: 0 })),
    sharded: Type.Boolean(),
    shardsSize: Type.Optional(Type.Integer({ minimum: 0 })),
    tlsEnabled: Type.Boolean(),
  },
  { additionalProperties: false },
);

export const AvailableProjectSchema = Type.Object(
  {
    deployments: Type.Array(AvailableDeploymentSchema, { maxItems: 1000 }),
    migrationHosts: Type.Array(Type.String(), { maxItems: 1000 }),
    name: Type.String({ minLength: 1 }),
    projectId: Type.String({ pattern: '^[a-f0-9]{24}$' }),
  },
  { additionalProperties: false },
);

export type AvailableProject = Static<typeof AvailableProjectSchema>;
export type AvailableDeployment = Static<typeof AvailableDeploymentSchema>;

/** livelink's own push body: the source organization's name and its projects. */
export const SourceInventorySchema = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    projects: Type.Array(AvailableProjectSchema, { maxItems: 1000 }),
  },
  { additionalProperties: false },
);

export type SourceInventory = Static<typeof SourceInventorySchema>;

export function toAvailableProject(inventory: ProjectInventory): AvailableProject {
  return {
    deployments: inventory.deployments.map((d) => {
      const deployment: AvailableDeployment = {
        clusterId: d.id,
        featureCompatibilityVersion: d.featureCompatibilityVersion,
        managed: d.managed,
        mongoDBVersion: d.mongoDBVersion,
        name: d.name,
        sharded: d.sharded,
        tlsEnabled: d.tlsEnabled,
      };
      if (d.agentVersion !== null) deployment.agentVersion = d.agentVersion;
      if (d.dbSizeBytes !== null) deployment.dbSizeBytes = d.dbSizeBytes;
      if (d.oplogSizeMB !== null) deployment.oplogSizeMB = d.oplogSizeMB;
      if (d.shardsSize !== null) deployment.shardsSize = d.shardsSize;
      return deployment;
    }),
    migrationHosts: inventory.migrationHosts,
    name: inventory.project.name,
    projectId: inventory.project.id,
  };
}
