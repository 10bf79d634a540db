import { Type, type Static, type TSchema } from '@sinclair/typebox';
import {
  HOST_PHASES,
  type LiveMigration,
  type LiveMigrationValidation,
  type MigrationJob,
  type MigrationRequest,
} from './live-migration.js';

/**
 * The wire shapes of push live migrations: Atlas's request bodies in each version (the v2 specification's
 * LiveMigrationRequest20240530 and LiveMigrationRequest, and the v1.0 API's), its responses, and the
 * relay's own shapes (docs/live-migrations.md).
 *
 * Every string and array is bounded, so that a body within the size limit but beyond any sensible value
 * is a 400 naming the field rather than only the body limit's 413. The validator counts UTF-16 units where
 * JSON Schema counts characters: a value of characters outside the BMP near a limit may be refused (a 400),
 * never one over it accepted; the limits are far above real names, paths and credentials.
 */

const ID = '^[a-f0-9]{24}$';
/** Deployment and cluster names, users, link ids. */
const NAME = { maxLength: 256 } as const;
/** Passwords and CA file paths (PATH_MAX is 4096). */
const LONG = { maxLength: 4096 } as const;
/** A host name is at most 253 characters. */
const HOSTNAME = { minLength: 1, maxLength: 255 } as const;
/** A host's reason for a failure, as migration-job.ts bounds it on the source. */
const MESSAGE = { maxLength: 2000 } as const;

const nullable = <T extends TSchema>(schema: T, options: { writeOnly?: boolean; description?: string } = {}) =>
  Type.Union([schema, Type.Null()], options);

/** The source as every version has it; the Atlas CLI sends "" for an unset username, password or CA path. */
const SourceSchema = Type.Object(
  {
    caCertificatePath: Type.Optional(nullable(Type.String(LONG), { description: 'Path on the migration host to the CA file.' })),
    clusterName: Type.String({ minLength: 1, ...NAME, description: 'The source deployment, by name.' }),
    groupId: Type.String({ pattern: ID, description: 'The source (Ops Manager) project.' }),
    managedAuthentication: Type.Boolean(),
    password: Type.Optional(nullable(Type.String(LONG), { writeOnly: true })),
    ssl: Type.Boolean(),
    username: Type.Optional(nullable(Type.String(NAME), { writeOnly: true })),
  },
  { additionalProperties: false },
);

const DestinationSchema = Type.Object(
  {
    clusterName: Type.String({ minLength: 1, ...NAME }),
    groupId: Type.String({ pattern: ID }),
    // "" is what the Atlas CLI sends (it never sets the field): taken as PUBLIC.
    hostnameSchemaType: Type.Union([Type.Literal('PUBLIC'), Type.Literal('PRIVATE_LINK'), Type.Literal('VPC_PEERING'), Type.Literal('')]),
    privateLinkId: Type.Optional(nullable(Type.String(NAME))),
  },
  { additionalProperties: false },
);

/** The v1.0 API's destination: no hostnameSchemaType or privateLinkId. */
const DestinationV1Schema = Type.Object(
  { clusterName: Type.String({ minLength: 1, ...NAME }), groupId: Type.String({ pattern: ID }) },
  { additionalProperties: false },
);

const ShardingSchema = nullable(
  Type.Object(
    {
      createSupportingIndexes: Type.Boolean(),
      shardingEntries: Type.Array(
        Type.Object(
          {
            collection: Type.String(NAME),
            database: Type.String(NAME),
            // A shard key is an index: at most 32 fields.
            shardCollection: Type.Object(
              { key: Type.Array(Type.Record(Type.String(NAME), Type.Unknown(), { maxProperties: 32 }), { maxItems: 32 }) },
              { additionalProperties: false },
            ),
          },
          { additionalProperties: false },
        ),
        { maxItems: 1000 },
      ),
    },
    { additionalProperties: false },
  ),
);

// Exactly one is required; the count is checked by the service, so that the answer can say so.
const MigrationHostsSchema = Type.Array(Type.String(HOSTNAME), { maxItems: 100 });
const ReadOnlyIdSchema = Type.Optional(Type.String({ pattern: ID, readOnly: true }));
const LinkSchema = Type.Object({ href: Type.String({ maxLength: 2048 }), rel: Type.String(NAME) });

/** Version 2024-05-30 (LiveMigrationRequest20240530): `dropDestinationData`, false when absent. */
export const Request20240530Schema = Type.Object(
  {
    _id: ReadOnlyIdSchema,
    destination: DestinationSchema,
    dropDestinationData: Type.Optional(Type.Boolean({ default: false, writeOnly: true })),
    links: Type.Optional(Type.Array(LinkSchema, { readOnly: true, maxItems: 100 })),
    migrationHosts: MigrationHostsSchema,
    sharding: Type.Optional(ShardingSchema),
    source: SourceSchema,
  },
  { additionalProperties: false },
);

/** Version 2023-01-01 (LiveMigrationRequest): `dropEnabled`, required. */
export const Request20230101Schema = Type.Object(
  {
    _id: ReadOnlyIdSchema,
    destination: DestinationSchema,
    dropEnabled: Type.Boolean({ writeOnly: true }),
    migrationHosts: MigrationHostsSchema,
    sharding: Type.Optional(ShardingSchema),
    source: SourceSchema,
  },
  { additionalProperties: false },
);

/** The v1.0 API's body: `dropEnabled`, required; no hostnameSchemaType, privateLinkId or sharding. */
export const RequestV1Schema = Type.Object(
  {
    destination: DestinationV1Schema,
    dropEnabled: Type.Boolean(),
    migrationHosts: MigrationHostsSchema,
    source: SourceSchema,
  },
  { additionalProperties: false },
);

export const VersionedRequestSchemas = { '2023-01-01': Request20230101Schema, '2024-05-30': Request20240530Schema };

type AnyRequestBody = Static<typeof Request20240530Schema> | Static<typeof Request20230101Schema> | Static<typeof RequestV1Schema>;

/** Any version's body as one request: one drop flag, and the Atlas CLI's empty strings as absent. */
export function requestOf(body: AnyRequestBody): MigrationRequest {
  const { source, destination } = body;
  const hostnameSchemaType = 'hostnameSchemaType' in destination ? destination.hostnameSchemaType : '';
  const sharding = 'sharding' in body ? body.sharding : undefined;
  return {
    source: {
      clusterName: source.clusterName,
      groupId: source.groupId,
      managedAuthentication: source.managedAuthentication,
      ssl: source.ssl,
      caCertificatePath: given(source.caCertificatePath),
      username: given(source.username),
      password: given(source.password),
    },
    destination: {
      clusterName: destination.clusterName,
      groupId: destination.groupId,
      hostnameSchemaType: hostnameSchemaType === '' ? 'PUBLIC' : hostnameSchemaType,
      privateLinkId: 'privateLinkId' in destination ? given(destination.privateLinkId) : null,
    },
    migrationHosts: body.migrationHosts,
    dropDestinationData: 'dropEnabled' in body ? body.dropEnabled : (body.dropDestinationData ?? false),
    shardingEntries: sharding?.shardingEntries.length ?? 0,
  };
}

function given(value: string | null | undefined): string | null {
  return value === undefined || value === null || value === '' ? null : value;
}

/**
 * LiveMigrationResponse: the same in every version. `errorMessage` is livelink's: Atlas's schema has no
 * reason for a FAILED or EXPIRED migration (its UI shows one), and a rehearsal needs it; it is there only then.
 */
export const LiveMigrationResponseSchema = Type.Object({
  _id: Type.String({ pattern: ID }),
  errorMessage: Type.Optional(Type.String({ description: "livelink's: why the migration FAILED or EXPIRED; absent otherwise." })),
  lagTimeSeconds: nullable(Type.Integer(), { description: 'Measured by the migration host; null when the migration is not running.' }),
  migrationHosts: Type.Array(Type.String()),
  readyForCutover: Type.Boolean(),
  status: Type.Union([
    Type.Literal('NEW'),
    Type.Literal('WORKING'),
    Type.Literal('FAILED'),
    Type.Literal('COMPLETE'),
    Type.Literal('EXPIRED'),
  ]),
});

/** LiveImportValidation. */
export const ValidationResponseSchema = Type.Object({
  _id: Type.String({ pattern: ID }),
  errorMessage: nullable(Type.String()),
  groupId: Type.String({ pattern: ID }),
  sourceGroupId: Type.String({ pattern: ID }),
  status: Type.Union([Type.Literal('PENDING'), Type.Literal('SUCCESS'), Type.Literal('FAILED')]),
});

/** What the v1.0 cutover answers: the validation shape of the v1 documentation, PENDING until the cutover completes. */
export const CutoverV1ResponseSchema = Type.Object({
  _id: Type.String({ pattern: ID }),
  groupId: Type.String({ pattern: ID }),
  sourceGroupId: Type.String({ pattern: ID }),
  status: Type.Union([Type.Literal('PENDING'), Type.Literal('SUCCESS')]),
});

/**
 * The migration's public face. `lagTimeSeconds` is the host's measured lag while the migration runs
 * (rounded to whole seconds, as Atlas declares it an integer) and null otherwise; readyForCutover only
 * while it can be cut over.
 */
export function migrationView(migration: LiveMigration): Static<typeof LiveMigrationResponseSchema> {
  const working = migration.status === 'WORKING';
  return {
    _id: migration.id,
    lagTimeSeconds: working && migration.lagSeconds !== null ? Math.round(migration.lagSeconds) : null,
    migrationHosts: [migration.plan.migrationHost],
    readyForCutover: working && migration.readyForCutover,
    status: migration.status,
    ...((migration.status === 'FAILED' || migration.status === 'EXPIRED') && migration.errorMessage !== null
      ? { errorMessage: migration.errorMessage }
      : {}),
  };
}

export function validationView(validation: LiveMigrationValidation): Static<typeof ValidationResponseSchema> {
  return {
    _id: validation.id,
    errorMessage: validation.errorMessage,
    groupId: validation.plan.groupId,
    sourceGroupId: validation.plan.sourceGroupId,
    status: validation.status,
  };
}

// The relay's target end (livelink's own, docs/live-migrations.md "The relay's exact shapes").

const Counter = Type.Integer({ minimum: 0 });

export const JobReportSchema = Type.Union([
  Type.Object(
    {
      kind: Type.Literal('VALIDATION'),
      status: Type.Union([Type.Literal('SUCCESS'), Type.Literal('FAILED')]),
      errorMessage: Type.Optional(nullable(Type.String(MESSAGE))),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      kind: Type.Literal('MIGRATION'),
      phase: Type.Union(HOST_PHASES.map((phase) => Type.Literal(phase))),
      documentsCopied: Counter,
      collectionsCopied: Counter,
      collectionsToCopy: Counter,
      changesApplied: Counter,
      lagSeconds: nullable(Type.Number({ minimum: 0 })),
      caughtUp: Type.Boolean(),
      errorMessage: Type.Optional(nullable(Type.String(MESSAGE))),
    },
    { additionalProperties: false },
  ),
]);

export const JobInstructionsSchema = Type.Object({ cutoverRequested: Type.Boolean(), stop: Type.Boolean() });

const JobSchema = Type.Object({
  id: Type.String({ pattern: ID }),
  kind: Type.Union([Type.Literal('VALIDATION'), Type.Literal('MIGRATION')]),
  sourceGroupId: Type.String({ pattern: ID }),
  sourceClusterName: Type.String(),
  source: Type.Object({
    managedAuthentication: Type.Boolean(),
    username: nullable(Type.String()),
    password: nullable(Type.String()),
    ssl: Type.Boolean(),
    caCertificatePath: nullable(Type.String()),
  }),
  destination: Type.Object({ clusterName: Type.String(), connectionString: Type.String() }),
  dropDestinationData: Type.Boolean(),
  cutoverRequested: Type.Boolean(),
  stop: Type.Boolean(),
});

export const JobAnswerSchema = Type.Object({ job: nullable(JobSchema) });

export type JobAnswer = { job: MigrationJob | null };
