import type { ActiveFault } from '../../features/control/control-fault.js';
import { CONTROL_PREFIX } from '../../features/control/control-routes.js';
import type { HttpMethod } from '../../http/route.js';
import { JSON_OPTION, usage, type Command, type OptionValues, type OptionsConfig } from '../command.js';
import { CONTROL_CLIENT_HELP, CONTROL_CLIENT_OPTIONS, callControl } from '../control-client.js';
import { emit, table } from '../output.js';

/**
 * One `livelink control <verb>`: the CLI twin of one control route. It calls the running server over
 * HTTP (control-client.ts), so it needs no data folder, and prints the route's answer (`--json`: as the
 * server sent it).
 */
interface ControlVerb {
  verb: string;
  summary: string;
  description: string;
  /** The verb's own flags (beyond --url, --token and --json), with their help lines. */
  options?: OptionsConfig;
  help?: readonly (readonly [string, string])[];
  /** The verb's flags as the synopsis shows them. */
  synopsis?: string;
  examples?: readonly string[];
  method: HttpMethod;
  /** The route's path (under CONTROL_PREFIX), from the flags. */
  path(values: OptionValues): string;
  /** The request body, from the flags; none when absent. */
  body?(values: OptionValues): unknown;
  /** The answer, for people. */
  text(answer: unknown): string;
}

/**
 * Every control verb, one per control route (src/features/control/control-routes.ts says how to add one).
 * Flags are checked here, so a mistake is exit 2 before any call.
 */
const CONTROL_VERBS: readonly ControlVerb[] = [
  {
    verb: 'list-faults',
    summary: 'List the active faults of every kind',
    description: 'Lists every fault the control API has put in place and that is still active, oldest first.',
    method: 'GET',
    path: () => `${CONTROL_PREFIX}/faults`,
    text: (answer) => {
      const { results } = answer as { results: ActiveFault[] };
      return table(
        ['FAMILY', 'ID', 'CREATED', 'DETAILS'],
        results.map((fault) => [fault.family, fault.id, fault.createdAt, JSON.stringify(fault.details)]),
        'No active faults.',
      );
    },
  },
  {
    verb: 'clear-faults',
    summary: 'Clear every active fault',
    description: 'Clears every fault of every kind: the calls and migrations behave normally again.',
    method: 'DELETE',
    path: () => `${CONTROL_PREFIX}/faults`,
    text: (answer) => {
      const { cleared } = answer as { cleared: number };
      return `Cleared ${cleared} fault${cleared === 1 ? '' : 's'}.`;
    },
  },
];

function commandFor(verb: ControlVerb): Command {
  const flags = verb.synopsis === undefined ? '' : ` ${verb.synopsis}`;
  return {
    path: ['control', verb.verb],
    summary: verb.summary,
    usage: usage({
      synopsis: `control ${verb.verb}${flags} [--url URL] [--token TOKEN] [--json]`,
      description: `${verb.description}\nCalls the control API (${CONTROL_PREFIX}) of a running livelink.`,
      options: [...(verb.help ?? []), ...CONTROL_CLIENT_HELP],
      json: true,
      data: false,
      ...(verb.examples === undefined ? {} : { examples: verb.examples }),
    }),
    options: { ...verb.options, ...CONTROL_CLIENT_OPTIONS, ...JSON_OPTION },
    async run({ values }, io) {
      const path = verb.path(values);
      const body = verb.body?.(values);
      const answer = await callControl(values, io, verb.method, path, body);
      emit(io, values, answer, () => verb.text(answer));
      return 0;
    },
  };
}

export const controlCommands: readonly Command[] = CONTROL_VERBS.map(commandFor);
