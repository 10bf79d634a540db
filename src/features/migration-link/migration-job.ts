import { Type, type Static } from '@sinclair/typebox';

/**
 * The jobs of a live migration as the target hands them to a source's migration host, and the reports
 * the host sends back, as docs/live-migrations.md ("The relay's exact shapes") fixes them. The source
 * relays both between its migration hosts and the target over the link, with the link-token's key.
 */

const OBJECT_ID = { pattern: '^[a-f0-9]{24}$' } as const;
const NULLABLE_STRING = Type.Union([Type.String(), Type.Null()]);

/** How the migration host reaches the source deployment, as the migration request said. */
const JobSourceSchema = Type.Object({
  managedAuthentication: Type.Boolean(),
  username: NULLABLE_STRING,
  password: NULLABLE_STRING,
  ssl: Type.Boolean(),
  caCertificatePath: NULLABLE_STRING,
});

/** What the target answers: a job names the source deployment, never how to reach it (the source knows that). */
export const TargetMigrationJobSchema = Type.Object({
  id: Type.String(OBJECT_ID),
  kind: Type.Union([Type.Literal('VALIDATION'), Type.Literal('MIGRATION')]),
  sourceGroupId: Type.String(OBJECT_ID),
  sourceClusterName: Type.String(),
  source: JobSourceSchema,
  destination: Type.Object({ clusterName: Type.String(), connectionString: Type.String() }),
  dropDestinationData: Type.Boolean(),
  cutoverRequested: Type.Boolean(),
  stop: Type.Boolean(),
});

export type TargetMigrationJob = Static<typeof TargetMigrationJobSchema>;

export const TargetJobAnswerSchema = Type.Object({ job: Type.Union([TargetMigrationJobSchema, Type.Null()]) });
export type TargetJobAnswer = Static<typeof TargetJobAnswerSchema>;

/**
 * What the source answers its migration host: the target's job with the source deployment's connection
 * string filled in (null when the source has none for that deployment, or no such deployment).
 */
export const HostMigrationJobSchema = Type.Object({
  ...TargetMigrationJobSchema.properties,
  source: Type.Object({ ...JobSourceSchema.properties, connectionString: NULLABLE_STRING }),
});

export type HostMigrationJob = Static<typeof HostMigrationJobSchema>;

export const HostJobAnswerSchema = Type.Object({ job: Type.Union([HostMigrationJobSchema, Type.Null()]) });
export type HostJobAnswer = Static<typeof HostJobAnswerSchema>;

/** A validation's outcome: SUCCESS, or FAILED with the reason in the words the Atlas UI uses. */
export const ValidationReportSchema = Type.Object(
  {
    kind: Type.Literal('VALIDATION'),
    status: Type.Union([Type.Literal('SUCCESS'), Type.Literal('FAILED')]),
    errorMessage: Type.Union([Type.String({ maxLength: 2000 }), Type.Null()]),
  },
  { additionalProperties: false },
);

const COUNT = Type.Integer({ minimum: 0 });

/** A migration's progress, sent every second and at each phase change; FAILED carries the reason. */
export const MigrationReportSchema = Type.Object(
  {
    kind: Type.Literal('MIGRATION'),
    phase: Type.Union([
      Type.Literal('STARTING'),
      Type.Literal('COPYING'),
      Type.Literal('TAILING'),
      Type.Literal('CUTTING_OVER'),
      Type.Literal('COMPLETE'),
      Type.Literal('FAILED'),
    ]),
    documentsCopied: COUNT,
    collectionsCopied: COUNT,
    collectionsToCopy: COUNT,
    changesApplied: COUNT,
    lagSeconds: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
    caughtUp: Type.Boolean(),
    errorMessage: Type.Union([Type.String({ maxLength: 2000 }), Type.Null()]),
  },
  { additionalProperties: false },
);

export const MigrationJobReportSchema = Type.Union([ValidationReportSchema, MigrationReportSchema]);

export type ValidationReport = Static<typeof ValidationReportSchema>;
export type MigrationReport = Static<typeof MigrationReportSchema>;
export type MigrationJobReport = ValidationReport | MigrationReport;
export type MigrationReportPhase = MigrationReport['phase'];

/** The target's answer to a report: what the host is to do next. */
export const JobReportAnswerSchema = Type.Object({ cutoverRequested: Type.Boolean(), stop: Type.Boolean() });
export type JobReportAnswer = Static<typeof JobReportAnswerSchema>;
