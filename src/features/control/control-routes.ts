import { Type } from '@sinclair/typebox';
import { defineRoute, type ApiRoute } from '../organizations/api-route.js';
import type { ControlService } from './control-service.js';

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

/** What the control routes call: the control service, and each family's own service as it is added. */
export interface ControlRouteServices {
  control: ControlService;
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
  const { control } = services;
  return [
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
  ];
}
