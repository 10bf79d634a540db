import type { ActiveFault } from '../../features/control/control-fault.js';
import { CONTROL_PREFIX } from '../../features/control/control-routes.js';
import type { TargetCallFault } from '../../features/control/target-call-fault.js';
import { TARGET_CALLS, type InjectedFailure } from '../../features/migration-link/target-client.js';
import type { HttpMethod } from '../../http/route.js';
import { JSON_OPTION, UsageError, usage, type Command, type OptionValues, type OptionsConfig } from '../command.js';
import { CONTROL_CLIENT_HELP, CONTROL_CLIENT_OPTIONS, callControl } from '../control-client.js';
import { optionalString, requiredString, wholeNumberFlag } from '../flags.js';
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
    verb: 'target-fault',
    summary: "Make the source's calls to the target fail",
    description:
      "Makes one kind of the source's calls to the target (Atlas) fail: link (the link POST's push), inventory\n" +
      "(the sync loop's pushes), unlink, or migrationProgress (the migration hosts' job fetches and reports).\n" +
      'For the next --calls N calls, for --duration SECONDS, or until cleared (livelink control clear-faults).',
    synopsis:
      '--call link|inventory|unlink|migrationProgress --failure unreachable|timeout|status|garbage|delay\n' +
      '[--status CODE] [--body TEXT] [--delay-ms MS] [--calls N] [--duration SECONDS]',
    options: {
      call: { type: 'string' },
      failure: { type: 'string' },
      status: { type: 'string' },
      body: { type: 'string' },
      'delay-ms': { type: 'string' },
      calls: { type: 'string' },
      duration: { type: 'string' },
    },
    help: [
      ['--call CALL', 'link, inventory, unlink or migrationProgress'],
      ['--failure KIND', 'unreachable, timeout, status, garbage or delay'],
      ['--status CODE', 'status: the HTTP status the target answers (200 to 599)'],
      ['--body TEXT', "status, garbage: the body the target answers, sent as it is (default: an error body; a proxy's page)"],
      ['--delay-ms MS', 'delay: milliseconds each call waits before it is sent'],
      ['--calls N', 'fail the next N calls only'],
      ['--duration SECONDS', "fail calls for this long, by the server's clock"],
    ],
    examples: [
      'livelink control target-fault --call link --failure unreachable --calls 1',
      'livelink control target-fault --call inventory --failure status --status 401 --body \'{"errorCode":"USER_UNAUTHORIZED"}\'',
    ],
    method: 'POST',
    path: () => `${CONTROL_PREFIX}/faults/targetCalls`,
    body: (values) => {
      const call = requiredString(values, 'call');
      if (!(TARGET_CALLS as readonly string[]).includes(call)) throw new UsageError(`--call must be one of ${TARGET_CALLS.join(', ')}`);
      const failure = requiredString(values, 'failure').toUpperCase();
      if (!FAILURE_KINDS.includes(failure)) throw new UsageError(`--failure must be one of ${FAILURE_KINDS.join(', ').toLowerCase()}`);
      const fields = {
        status: wholeNumberFlag(values, 'status', 200),
        body: optionalString(values, 'body'),
        delayMs: wholeNumberFlag(values, 'delay-ms', 1),
        calls: wholeNumberFlag(values, 'calls', 1),
        durationSeconds: wholeNumberFlag(values, 'duration', 1),
      };
      return { call, failure, ...Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) };
    },
    text: (answer) => {
      const fault = answer as TargetCallFault;
      return `Injected fault ${fault.id}: ${scopeOf(fault)} ${whatFails(fault.failure, fault.remainingCalls === 1)}.`;
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

const FAILURE_KINDS: readonly string[] = ['UNREACHABLE', 'TIMEOUT', 'STATUS', 'GARBAGE', 'DELAY'];

/** Which calls a fault fails, in words: "the next 2 inventory calls", "all link calls until ...". */
function scopeOf(fault: TargetCallFault): string {
  const until = fault.expiresAt === null ? '' : ` until ${fault.expiresAt}`;
  if (fault.remainingCalls === null) return `all ${fault.call} calls${until === '' ? ' until cleared' : until}`;
  const calls = fault.remainingCalls === 1 ? `the next ${fault.call} call` : `the next ${fault.remainingCalls} ${fault.call} calls`;
  return `${calls}${until}`;
}

/** What the calls then meet, agreeing with one call or several. */
function whatFails(failure: InjectedFailure, one: boolean): string {
  const verb = (plural: string, singular: string) => (one ? singular : plural);
  switch (failure.kind) {
    case 'UNREACHABLE':
      return `${verb('find', 'finds')} the target unreachable`;
    case 'TIMEOUT':
      return verb('time out', 'times out');
    case 'STATUS':
      return `${verb('answer', 'answers')} HTTP ${failure.status}`;
    case 'GARBAGE':
      return `${verb('get', 'gets')} garbage for an answer`;
    case 'DELAY':
      return `${verb('wait', 'waits')} ${failure.delayMs} ms first`;
  }
}

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
