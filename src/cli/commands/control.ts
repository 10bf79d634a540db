import type { ClockReading } from '../../features/clock/clock-service.js';
import type { ActiveFault } from '../../features/control/control-fault.js';
import { CONTROL_PREFIX } from '../../features/control/control-routes.js';
import type { TargetCallFault } from '../../features/control/target-call-fault.js';
import { TARGET_CALLS, type InjectedFailure } from '../../features/migration-link/target-client.js';
import type { HttpMethod } from '../../http/route.js';
import { INIT_SNAPSHOT, isSnapshotName, type Snapshot } from '../../features/snapshots/snapshot.js';
import type { ResetOutcome } from '../../features/snapshots/snapshot-service.js';
import { parseDuration } from '../../shared/duration.js';
import { JSON_OPTION, UsageError, usage, type Command, type OptionValues, type OptionsConfig } from '../command.js';
import { CONTROL_CLIENT_HELP, CONTROL_CLIENT_OPTIONS, callControl } from '../control-client.js';
import { objectIdFlag, optionalString, requiredString, wholeNumberFlag } from '../flags.js';
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
  /** The answer, for people (the flags name what a bodiless answer was about). */
  text(answer: unknown, values: OptionValues): string;
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
    verb: 'migration-fault',
    summary: 'Make a live migration fail at a phase, or show a lag',
    description:
      'Puts a rehearsal fault on an active live migration of this target (Atlas), until it ends or the faults are\n' +
      'cleared (livelink control clear-faults): --fail-at fails it with --reason when its host reaches the phase\n' +
      '(at once when it is in it already); --hold-lag shows that lag instead of the measured one, readyForCutover\n' +
      'following it (ready only at 2 seconds or less). The Atlas GET of the migration and its cutover answer accordingly.',
    synopsis: '--migration ID (--fail-at copy|tail|cutover [--reason TEXT] | --hold-lag SECONDS)',
    options: { migration: { type: 'string' }, 'fail-at': { type: 'string' }, reason: { type: 'string' }, 'hold-lag': { type: 'string' } },
    help: [
      ['--migration ID', 'the live migration (its _id in the Atlas API)'],
      ['--fail-at PHASE', "copy (the host's initial copy), tail (tailing the source's changes) or cutover (the cutover request)"],
      ['--reason TEXT', "--fail-at: the migration's errorMessage once it fails"],
      ['--hold-lag SECONDS', 'the lag the migration shows (lagTimeSeconds)'],
    ],
    examples: [
      'livelink control migration-fault --migration 6650c0ffee0123456789abcd --fail-at copy --reason "Disk full on the destination"',
      'livelink control migration-fault --migration 6650c0ffee0123456789abcd --hold-lag 30',
    ],
    method: 'POST',
    path: (values) => {
      const fault = migrationFaultOf(values);
      return `${migrationPath(values)}/faults/${fault.failAt === undefined ? 'holdLag' : 'failAtPhase'}`;
    },
    body: (values) => {
      const { failAt, reason, lagSeconds } = migrationFaultOf(values);
      return failAt === undefined ? { lagSeconds } : { phase: failAt, ...(reason === undefined ? {} : { reason }) };
    },
    text: (answer) => {
      const { fault, migration } = answer as MigrationFaultAnswer;
      const { details } = fault;
      const what =
        details['kind'] === 'HOLD_LAG'
          ? `shows a lag of ${String(details['lagSeconds'])} s until the faults are cleared`
          : migration.status === 'FAILED'
            ? `was in ${String(details['phase'])} and failed at once`
            : `fails when it reaches ${String(details['phase'])}`;
      return `Fault ${fault.id}: live migration ${migration._id} ${what}.\n${migrationText(migration)}`;
    },
  },
  {
    verb: 'migration ready-for-cutover',
    summary: 'Make a live migration ready for cutover now',
    description:
      'Makes an active live migration ready for cutover now (WORKING, readyForCutover true), as if its host had caught up:\n' +
      'the expiry timer starts, and a held lag is released. A cutover then asks the host, which cuts over once it tails.',
    synopsis: '--migration ID',
    options: { migration: { type: 'string' } },
    help: [['--migration ID', 'the live migration (its _id in the Atlas API)']],
    examples: ['livelink control migration ready-for-cutover --migration 6650c0ffee0123456789abcd'],
    method: 'POST',
    path: (values) => `${migrationPath(values)}/readyForCutover`,
    text: (answer) => migrationText(answer as MigrationAnswer),
  },
  {
    verb: 'migration expire',
    summary: 'Expire a live migration now',
    description:
      'Ends an active live migration as EXPIRED now, as the expiry of a migration ready and not cut over would:\n' +
      'its event, the host told to stop, a cutover refused (409), the source and the cluster free for a new one.',
    synopsis: '--migration ID',
    options: { migration: { type: 'string' } },
    help: [['--migration ID', 'the live migration (its _id in the Atlas API)']],
    examples: ['livelink control migration expire --migration 6650c0ffee0123456789abcd'],
    method: 'POST',
    path: (values) => `${migrationPath(values)}/expire`,
    text: (answer) => migrationText(answer as MigrationAnswer),
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
  {
    verb: 'clock',
    summary: 'Show the rehearsal clock',
    description: 'Shows the time livelink goes by, and how far ahead of real time it is.',
    method: 'GET',
    path: () => `${CONTROL_PREFIX}/clock`,
    text: (answer) => clockText(answer as ClockReading),
  },
  {
    verb: 'clock advance',
    summary: 'Move the rehearsal clock forward',
    description:
      'Moves the clock of every node forward: nonces turn stale (clients get stale=true and retry), web sessions end,\n' +
      'migrations ready for cutover expire after 120 hours. Other nodes on the same PostgreSQL follow within a second.',
    synopsis: '--by DURATION',
    options: { by: { type: 'string' } },
    help: [['--by DURATION', 'how far: whole numbers with units ms, s, m, h, d (301s, 121h, 1h30m)']],
    examples: ['livelink control clock advance --by 121h'],
    method: 'POST',
    path: () => `${CONTROL_PREFIX}/clock/advance`,
    body: (values) => ({ duration: durationFlag(values, 'by') }),
    text: (answer) => clockText(answer as ClockReading),
  },
  {
    verb: 'clock reset',
    summary: 'Put the rehearsal clock back to real time',
    description: 'Puts the clock of every node back to real time.',
    method: 'POST',
    path: () => `${CONTROL_PREFIX}/clock/reset`,
    text: (answer) => clockText(answer as ClockReading),
  },
  {
    verb: 'snapshot create',
    summary: 'Take a named snapshot of the whole database',
    description: 'Takes a snapshot of every table now, replacing one of the same name; `control reset --snapshot NAME` goes back to it.',
    synopsis: '--name NAME',
    options: { name: { type: 'string' } },
    help: [['--name NAME', 'the snapshot: 1 to 64 letters, digits, dots, dashes and underscores']],
    examples: ['livelink control snapshot create --name before-cutover'],
    method: 'PUT',
    path: (values) => `${CONTROL_PREFIX}/snapshots/${snapshotNameFlag(values, 'name')}`,
    text: (answer) => {
      const snapshot = answer as Snapshot;
      return `Snapshot ${snapshot.name} taken at ${snapshot.createdAt}: ${snapshot.rowCount} rows.`;
    },
  },
  {
    verb: 'snapshot list',
    summary: 'List the snapshots',
    description: 'Lists the snapshots of the database, oldest first.',
    method: 'GET',
    path: () => `${CONTROL_PREFIX}/snapshots`,
    text: (answer) => {
      const { results } = answer as { results: Snapshot[] };
      return table(
        ['NAME', 'CREATED', 'ROWS'],
        results.map((snapshot) => [snapshot.name, snapshot.createdAt, String(snapshot.rowCount)]),
        'No snapshots.',
      );
    },
  },
  {
    verb: 'snapshot delete',
    summary: 'Delete a snapshot',
    description: 'Deletes a snapshot; the data is not changed.',
    synopsis: '--name NAME',
    options: { name: { type: 'string' } },
    help: [['--name NAME', 'the snapshot']],
    method: 'DELETE',
    path: (values) => `${CONTROL_PREFIX}/snapshots/${snapshotNameFlag(values, 'name')}`,
    text: (_answer, values) => `Snapshot ${snapshotNameFlag(values, 'name')} deleted.`,
  },
  {
    verb: 'reset',
    summary: 'Reset the data to a snapshot, without a restart',
    description:
      `Puts every table back as the snapshot has it (${INIT_SNAPSHOT}, taken by livelink init, livelink start and livelink\n` +
      'serve --fixtures, when none is named), clears the active faults and puts the clock back to real time.\n' +
      'Requests running meanwhile get whole answers, from the data before or after.',
    synopsis: '[--snapshot NAME]',
    options: { snapshot: { type: 'string' } },
    help: [['--snapshot NAME', `the snapshot (default ${INIT_SNAPSHOT})`]],
    examples: ['livelink control reset', 'livelink control reset --snapshot before-cutover'],
    method: 'POST',
    path: (values) => {
      const name = optionalString(values, 'snapshot');
      return name === undefined ? `${CONTROL_PREFIX}/reset` : `${CONTROL_PREFIX}/reset/${snapshotNameFlag(values, 'snapshot')}`;
    },
    text: (answer) => {
      const { snapshot, faultsCleared, clock } = answer as ResetOutcome;
      return [
        `Reset to snapshot ${snapshot.name} (taken ${snapshot.createdAt}, ${snapshot.rowCount} rows).`,
        `Cleared ${faultsCleared} fault${faultsCleared === 1 ? '' : 's'}; ${clockText(clock)}`,
      ].join('\n');
    },
  },
];

const FAILURE_KINDS: readonly string[] = ['UNREACHABLE', 'TIMEOUT', 'STATUS', 'GARBAGE', 'DELAY'];

/** A live migration as the control API answers it: as Atlas's GET of the migration shows it. */
interface MigrationAnswer {
  _id: string;
  status: string;
  lagTimeSeconds: number | null;
  readyForCutover: boolean;
  errorMessage?: string;
}

interface MigrationFaultAnswer {
  fault: ActiveFault;
  migration: MigrationAnswer;
}

const MIGRATION_FAULT_PHASES: readonly string[] = ['COPY', 'TAIL', 'CUTOVER'];

function migrationPath(values: OptionValues): string {
  return `${CONTROL_PREFIX}/liveMigrations/${objectIdFlag(values, 'migration')}`;
}

/** The one fault the flags ask for: --fail-at (with an optional --reason) or --hold-lag. */
function migrationFaultOf(values: OptionValues): { failAt?: string; reason?: string; lagSeconds?: number } {
  const failAt = optionalString(values, 'fail-at');
  const reason = optionalString(values, 'reason');
  const lagSeconds = wholeNumberFlag(values, 'hold-lag', 0);
  if ((failAt === undefined) === (lagSeconds === undefined)) throw new UsageError('give one of --fail-at and --hold-lag');
  if (failAt === undefined) {
    if (reason !== undefined) throw new UsageError('--reason goes with --fail-at');
    return { lagSeconds };
  }
  const phase = failAt.toUpperCase();
  if (!MIGRATION_FAULT_PHASES.includes(phase))
    throw new UsageError(`--fail-at must be one of ${MIGRATION_FAULT_PHASES.join(', ').toLowerCase()}`);
  if (reason !== undefined && (reason.length === 0 || reason.length > 1000))
    throw new UsageError('--reason must have 1 to 1000 characters');
  return { failAt: phase, ...(reason === undefined ? {} : { reason }) };
}

/** The migration as its GET shows it, in one line: "Live migration ID: WORKING, lag 30 s, not ready for cutover." */
function migrationText(migration: MigrationAnswer): string {
  const lag = migration.lagTimeSeconds === null ? 'no lag measured' : `lag ${migration.lagTimeSeconds} s`;
  const ready = migration.readyForCutover ? 'ready for cutover' : 'not ready for cutover';
  const why = migration.errorMessage === undefined ? '' : ` (${migration.errorMessage})`;
  return `Live migration ${migration._id}: ${migration.status}${why}, ${lag}, ${ready}.`;
}

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

function clockText(reading: ClockReading): string {
  return reading.offsetMs === 0 ? `Clock at ${reading.now} (real time).` : `Clock at ${reading.now}, ${reading.offset} ahead of real time.`;
}

function durationFlag(values: OptionValues, flag: string): string {
  const text = requiredString(values, flag);
  if (parseDuration(text) === undefined)
    throw new UsageError(`--${flag} is a duration such as 301s, 121h or 1h30m (got ${JSON.stringify(text)})`);
  return text;
}

function snapshotNameFlag(values: OptionValues, flag: string): string {
  const name = requiredString(values, flag);
  if (!isSnapshotName(name))
    throw new UsageError(`--${flag} is 1 to 64 letters, digits, dots, dashes and underscores (got ${JSON.stringify(name)})`);
  return name;
}

function commandFor(verb: ControlVerb): Command {
  const flags = verb.synopsis === undefined ? '' : ` ${verb.synopsis}`;
  return {
    path: ['control', ...verb.verb.split(' ')],
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
      // A bodiless answer (204) is `null` in JSON.
      emit(io, values, answer ?? null, () => verb.text(answer, values));
      return 0;
    },
  };
}

export const controlCommands: readonly Command[] = CONTROL_VERBS.map(commandFor);
