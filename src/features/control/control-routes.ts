import { Type } from '@sinclair/typebox';
import { apiErrors } from '../../http/api-error.js';
import type { RouteResult } from '../../http/route.js';
import { DURATION_PATTERN, parseDuration } from '../../shared/duration.js';
import type { ClockService } from '../clock/clock-service.js';
import { activeFaultOf } from '../live-migrations/live-migration-fault-source.js';
import { LiveMigrationResponseSchema, migrationView } from '../live-migrations/live-migration-schemas.js';
import type { LiveMigrationFault } from '../live-migrations/live-migration.js';
import type { LiveMigrationService } from '../live-migrations/live-migration-service.js';
import { TARGET_CALLS } from '../migration-link/target-client.js';
import { defineRoute, type ApiRoute } from '../organizations/api-route.js';
import { SNAPSHOT_NAME_PATTERN } from '../snapshots/snapshot.js';
import type { SnapshotService } from '../snapshots/snapshot-service.js';
import type { ControlService } from './control-service.js';
import type { TargetCallFaultService } from './target-call-fault-service.js';

/**
 * The control API's prefix: outside /api/, so it can never collide with an Ops Manager or Atlas path,
 * and versioned, so a later change of its shapes can live beside this one.
 */
export const CONTROL_PREFIX = '/_livelink/control/v1';

const ActiveFaultSchema = Type.Object({
  family: Type.String(),
  id: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  details: Type.Record(Type.String(), Type.Unknown()),
});
const FaultListSchema = Type.Object({ results: Type.Array(ActiveFaultSchema), totalCount: Type.Integer() });
const ClearedSchema = Type.Object({ cleared: Type.Integer() });
const ClockSchema = Type.Object({
  now: Type.String({ format: 'date-time', description: 'The time livelink goes by.' }),
  realNow: Type.String({ format: 'date-time' }),
  offsetMs: Type.Integer({ minimum: 0, description: 'How far ahead of real time the clock is.' }),
  offset: Type.String({ description: 'The same as a duration, e.g. 121h or 0s.' }),
});
const AdvanceSchema = Type.Object(
  {
    duration: Type.String({
      pattern: DURATION_PATTERN,
      description: 'How far to move the clock forward: whole numbers with units ms, s, m, h, d (e.g. 301s, 121h, 1h30m).',
    }),
  },
  { additionalProperties: false },
);
const SnapshotSchema = Type.Object({
  name: Type.String({ pattern: SNAPSHOT_NAME_PATTERN }),
  createdAt: Type.String({ format: 'date-time' }),
  rowCount: Type.Integer({ minimum: 0 }),
});
/** A snapshot named in a path: refused as not found (or, to take one, as an invalid name) when it does not fit. */
const SnapshotNameParams = {
  name: Type.String({ pattern: SNAPSHOT_NAME_PATTERN, description: '1 to 64 letters, digits, dots, dashes and underscores' }),
};
const SnapshotListSchema = Type.Object({ results: Type.Array(SnapshotSchema), totalCount: Type.Integer() });
const ResetSchema = Type.Object({ snapshot: SnapshotSchema, faultsCleared: Type.Integer(), clock: ClockSchema });

const FAILURE_KINDS = ['UNREACHABLE', 'TIMEOUT', 'STATUS', 'GARBAGE', 'DELAY'] as const;

const TargetCallFaultBody = Type.Object(
  {
    call: Type.Union(
      TARGET_CALLS.map((call) => Type.Literal(call)),
      { description: 'link (the link POST), inventory (the sync pushes), unlink, migrationProgress (job fetches and reports)' },
    ),
    failure: Type.Union(
      FAILURE_KINDS.map((kind) => Type.Literal(kind)),
      { description: 'UNREACHABLE, TIMEOUT, STATUS (status and body), GARBAGE (a 200 that is not the answer), DELAY (delayMs)' },
    ),
    status: Type.Optional(Type.Integer({ minimum: 200, maximum: 599, description: 'STATUS: the status the target answers' })),
    body: Type.Optional(
      Type.Unknown({ description: 'STATUS, GARBAGE: the body the target answers; a string as it is, anything else as JSON' }),
    ),
    delayMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 600_000, description: 'DELAY: milliseconds each call waits' })),
    calls: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'fail the next N calls only' })),
    durationSeconds: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 31_536_000, description: "fail calls for this long (the program's clock)" }),
    ),
  },
  { additionalProperties: false },
);

const TargetCallFaultSchema = Type.Object({
  id: Type.String(),
  call: Type.String(),
  failure: Type.Object({
    kind: Type.String(),
    status: Type.Optional(Type.Integer()),
    body: Type.Optional(Type.String()),
    delayMs: Type.Optional(Type.Integer()),
  }),
  remainingCalls: Type.Union([Type.Integer(), Type.Null()]),
  expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
});

/** What the control routes call: the control service, and each family's own service. */
export interface ControlRouteServices {
  control: ControlService;
  /** The faults on the source's calls to the target: absent on a process that serves only the target. */
  targetCalls: TargetCallFaultService | undefined;
  /** The faults on the target's live migrations: absent on a process that serves only the source. */
  liveMigrations: LiveMigrationService | undefined;
  clock: ClockService;
  snapshots: SnapshotService;
}

/**
 * The rehearsal control API's route table. Every route declares `access: { kind: 'control' }`: the edge
 * then requires the admin token (or a loopback caller when none is configured) before the handler runs,
 * answers refusals in the Ops Manager error format, and lists the route in the OpenAPI document.
 *
 * To add a control: (1) a route here, under CONTROL_PREFIX, with its body schema (unknown fields are
 * refused) and response schema, calling a service passed in ControlRouteServices (wired in
 * src/app/livelink.ts); (2) its CLI twin, one entry of CONTROL_VERBS in src/cli/commands/control.ts (the
 * method, the path, the body built from the flags, the text printed); (3) a recipe in the README's
 * "Rehearse failures"; then `npm run openapi`.
 */
export function controlRoutes(services: ControlRouteServices): ApiRoute[] {
  const { control, targetCalls, liveMigrations, clock, snapshots } = services;
  return [
    ...(targetCalls === undefined ? [] : targetCallFaultRoutes(targetCalls)),
    ...(liveMigrations === undefined ? [] : liveMigrationFaultRoutes(liveMigrations)),
    defineRoute({
      name: 'listControlFaults',
      summary: 'List the active faults of every kind (rehearsal control)',
      method: 'GET',
      paths: [`${CONTROL_PREFIX}/faults`],
      access: { kind: 'control' },
      response: FaultListSchema,
      async handle() {
        const results = await control.listFaults();
        return { status: 200, body: { results, totalCount: results.length } };
      },
    }),
    defineRoute({
      name: 'clearControlFaults',
      summary: 'Clear every active fault (rehearsal control)',
      method: 'DELETE',
      paths: [`${CONTROL_PREFIX}/faults`],
      access: { kind: 'control' },
      status: 200,
      response: ClearedSchema,
      async handle() {
        return { status: 200, body: { cleared: await control.clearFaults() } };
      },
    }),
    defineRoute({
      name: 'readControlClock',
      summary: 'Read the rehearsal clock (rehearsal control)',
      method: 'GET',
      paths: [`${CONTROL_PREFIX}/clock`],
      access: { kind: 'control' },
      response: ClockSchema,
      handle: () => Promise.resolve({ status: 200, body: clock.reading() }),
    }),
    defineRoute({
      name: 'advanceControlClock',
      summary: 'Move the rehearsal clock forward: nonces turn stale, sessions end, migrations expire (rehearsal control)',
      method: 'POST',
      paths: [`${CONTROL_PREFIX}/clock/advance`],
      access: { kind: 'control' },
      body: AdvanceSchema,
      status: 200,
      response: ClockSchema,
      async handle({ body }) {
        const ms = parseDuration(body.duration);
        if (ms === undefined) throw apiErrors.invalidAttribute('duration', 'too long');
        return { status: 200, body: await clock.advance(ms) };
      },
    }),
    defineRoute({
      name: 'resetControlClock',
      summary: 'Put the rehearsal clock back to real time (rehearsal control)',
      method: 'POST',
      paths: [`${CONTROL_PREFIX}/clock/reset`],
      access: { kind: 'control' },
      status: 200,
      response: ClockSchema,
      async handle() {
        return { status: 200, body: await clock.resetToRealTime() };
      },
    }),
    defineRoute({
      name: 'listControlSnapshots',
      summary: 'List the snapshots of the database, oldest first (rehearsal control)',
      method: 'GET',
      paths: [`${CONTROL_PREFIX}/snapshots`],
      access: { kind: 'control' },
      response: SnapshotListSchema,
      async handle() {
        const results = await snapshots.list();
        return { status: 200, body: { results, totalCount: results.length } };
      },
    }),
    defineRoute({
      name: 'takeControlSnapshot',
      summary: 'Take a named snapshot of the whole database now, replacing one of that name (rehearsal control)',
      method: 'PUT',
      paths: [`${CONTROL_PREFIX}/snapshots/:name`],
      params: SnapshotNameParams,
      access: { kind: 'control' },
      // 200 when it replaced a snapshot of that name, 201 when the name is new.
      status: [200, 201],
      response: SnapshotSchema,
      async handle({ params }) {
        const { snapshot, replaced } = await snapshots.create(params['name'] ?? '');
        return { status: replaced ? 200 : 201, body: snapshot };
      },
    }),
    defineRoute({
      name: 'deleteControlSnapshot',
      summary: 'Delete a snapshot (rehearsal control)',
      method: 'DELETE',
      paths: [`${CONTROL_PREFIX}/snapshots/:name`],
      params: SnapshotNameParams,
      access: { kind: 'control' },
      async handle({ params }) {
        await snapshots.delete(params['name'] ?? '');
        return { status: 204 };
      },
    }),
    defineRoute({
      name: 'resetToControlSnapshot',
      summary:
        'Reset: put the database back as a snapshot has it (init when none is named), clear the faults, clock to real time (rehearsal control)',
      method: 'POST',
      paths: [`${CONTROL_PREFIX}/reset`, `${CONTROL_PREFIX}/reset/:name`],
      params: SnapshotNameParams,
      access: { kind: 'control' },
      status: 200,
      response: ResetSchema,
      // SNAPSHOT_SCHEMA_MISMATCH: a snapshot taken before a schema migration.
      errors: [409],
      async handle({ params }) {
        return { status: 200, body: await snapshots.reset(params['name']) };
      },
    }),
  ];
}

function targetCallFaultRoutes(targetCalls: TargetCallFaultService): ApiRoute[] {
  return [
    defineRoute({
      name: 'injectTargetCallFault',
      summary: "Make the source's calls to the target fail: unreachable, timeout, a status, garbage or a delay (rehearsal control)",
      method: 'POST',
      paths: [`${CONTROL_PREFIX}/faults/targetCalls`],
      access: { kind: 'control' },
      body: TargetCallFaultBody,
      response: TargetCallFaultSchema,
      async handle({ body }) {
        return { status: 201, body: await targetCalls.inject(body) };
      },
    }),
  ];
}

const MIGRATION_FAULT_PHASES = ['COPY', 'TAIL', 'CUTOVER'] as const;

const FailAtPhaseBody = Type.Object(
  {
    phase: Type.Union(
      MIGRATION_FAULT_PHASES.map((phase) => Type.Literal(phase)),
      { description: "COPY (the host's initial copy), TAIL (tailing the source's changes), CUTOVER (the cutover request)" },
    ),
    reason: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 1000,
        description: "The migration's errorMessage once it fails (default: that it failed at the phase, a rehearsal fault)",
      }),
    ),
  },
  { additionalProperties: false },
);

const HoldLagBody = Type.Object(
  {
    lagSeconds: Type.Integer({
      minimum: 0,
      maximum: 31_536_000,
      description: 'The lag the migration shows instead of the measured one; readyForCutover only at 2 or less',
    }),
  },
  { additionalProperties: false },
);

const MigrationFaultSchema = Type.Object({
  fault: ActiveFaultSchema,
  migration: LiveMigrationResponseSchema,
});

/**
 * The rehearsal faults on a live migration, found by its id alone (whatever its project): 404
 * LIVE_MIGRATION_NOT_FOUND for an unknown id, 409 LIVE_MIGRATION_NOT_ACTIVE for one that ended. A fault
 * answers 201 with the fault as `GET /faults` lists it and the migration as Atlas's GET shows it right
 * after (FAILED already when it was in the phase); readyForCutover and expire answer 200 with the migration.
 */
function liveMigrationFaultRoutes(liveMigrations: LiveMigrationService): ApiRoute[] {
  const base = `${CONTROL_PREFIX}/liveMigrations/:liveMigrationId`;
  const idOf = (params: Readonly<Record<string, string>>): string => params['liveMigrationId'] ?? '';
  /** A fault's answer: the fault as listed, and the migration right after it was put in place. */
  const faultPut = async (id: string, fault: LiveMigrationFault): Promise<RouteResult> => ({
    status: 201,
    body: { fault: activeFaultOf(fault), migration: migrationView(await liveMigrations.migrationForControl(id)) },
  });
  return [
    defineRoute({
      name: 'failLiveMigrationAtPhase',
      summary:
        'Make a live migration fail with a reason when it reaches a phase (copy, tail, cutover), or now if it is in it (rehearsal control)',
      method: 'POST',
      paths: [`${base}/faults/failAtPhase`],
      access: { kind: 'control' },
      body: FailAtPhaseBody,
      response: MigrationFaultSchema,
      errors: [409],
      async handle({ params, body }) {
        const id = idOf(params);
        // The service's default reason when none is given, the same as for an empty one.
        return faultPut(id, await liveMigrations.failAtPhase(id, body.phase, body.reason ?? ''));
      },
    }),
    defineRoute({
      name: 'holdLiveMigrationLag',
      summary: 'Make a live migration show a lag, readyForCutover following it, until the faults are cleared (rehearsal control)',
      method: 'POST',
      paths: [`${base}/faults/holdLag`],
      access: { kind: 'control' },
      body: HoldLagBody,
      response: MigrationFaultSchema,
      errors: [409],
      async handle({ params, body }) {
        const id = idOf(params);
        return faultPut(id, await liveMigrations.holdLag(id, body.lagSeconds));
      },
    }),
    defineRoute({
      name: 'makeLiveMigrationReadyForCutover',
      summary: 'Make a live migration ready for cutover now, as if its host had caught up; a held lag is released (rehearsal control)',
      method: 'POST',
      paths: [`${base}/readyForCutover`],
      access: { kind: 'control' },
      status: 200,
      response: LiveMigrationResponseSchema,
      errors: [409],
      async handle({ params }) {
        return { status: 200, body: migrationView(await liveMigrations.makeReadyForCutover(idOf(params))) };
      },
    }),
    defineRoute({
      name: 'expireLiveMigration',
      summary: 'Expire a live migration now, as the expiry of one ready and not cut over would (rehearsal control)',
      method: 'POST',
      paths: [`${base}/expire`],
      access: { kind: 'control' },
      status: 200,
      response: LiveMigrationResponseSchema,
      errors: [409],
      async handle({ params }) {
        return { status: 200, body: migrationView(await liveMigrations.expireNow(idOf(params))) };
      },
    }),
  ];
}
