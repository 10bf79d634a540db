import { STATUS_CODES } from 'node:http';
import { apiErrors } from '../../http/api-error.js';
import { newObjectId } from '../../shared/ids.js';
import type { InjectedFailure, TargetCall } from '../migration-link/target-client.js';
import type { ActiveFault, FaultSource } from './control-fault.js';
import type { TargetCallFault } from './target-call-fault.js';
import type { TargetCallFaultStore } from './target-call-fault-store.js';

export type InjectedFailureKind = InjectedFailure['kind'];

/** A fault as the control API is asked for it (the route's body, checked against its schema). */
export interface TargetCallFaultRequest {
  call: TargetCall;
  failure: InjectedFailureKind;
  /** STATUS: the status the target answers. */
  status?: number;
  /** STATUS and GARBAGE: the body the target answers, as text, or JSON to send as it is. */
  body?: unknown;
  /** DELAY: how long each call waits before it is sent. */
  delayMs?: number;
  /** Fails this many calls, then stops. */
  calls?: number;
  /** Stops failing calls this long after it is put in place (by the program's clock). */
  durationSeconds?: number;
}

/** What a garbage answer is unless the request gives one: a proxy's error page, the commonest non-JSON answer. */
const DEFAULT_GARBAGE = '<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>';

/**
 * The faults on the source's calls to the target: put in place by the control API, taken by the target
 * client once per call (HttpTargetClient's injectedFailure), listed and cleared with every other family.
 */
export class TargetCallFaultService implements FaultSource {
  constructor(
    private readonly store: TargetCallFaultStore,
    private readonly now: () => Date,
  ) {}

  async inject(request: TargetCallFaultRequest): Promise<TargetCallFault> {
    const createdAt = this.now();
    const fault: TargetCallFault = {
      id: newObjectId(createdAt),
      call: request.call,
      failure: failureOf(request),
      remainingCalls: request.calls ?? null,
      expiresAt:
        request.durationSeconds === undefined ? null : new Date(createdAt.getTime() + request.durationSeconds * 1000).toISOString(),
      createdAt: createdAt.toISOString(),
    };
    await this.store.add(fault);
    return fault;
  }

  /** The failure to inject into one call of `call`, counting the call; undefined when none is active. */
  async take(call: TargetCall): Promise<InjectedFailure | undefined> {
    return (await this.store.take(call, this.now().toISOString()))?.failure;
  }

  async list(): Promise<TargetCallFault[]> {
    return this.store.listActive(this.now().toISOString());
  }

  async listFaults(): Promise<ActiveFault[]> {
    return (await this.list()).map((fault) => ({
      family: 'targetCall',
      id: fault.id,
      createdAt: fault.createdAt,
      details: { call: fault.call, ...fault.failure, remainingCalls: fault.remainingCalls, expiresAt: fault.expiresAt },
    }));
  }

  clearFaults(): Promise<number> {
    return this.store.clear(this.now().toISOString());
  }
}

/** The failure a request asks for, with what each kind needs and nothing it does not take. */
function failureOf(request: TargetCallFaultRequest): InjectedFailure {
  const { failure } = request;
  if (request.status !== undefined && failure !== 'STATUS') throw apiErrors.invalidAttribute('status', 'only a STATUS failure takes one');
  if (request.body !== undefined && failure !== 'STATUS' && failure !== 'GARBAGE')
    throw apiErrors.invalidAttribute('body', 'only a STATUS or GARBAGE failure takes one');
  if (request.delayMs !== undefined && failure !== 'DELAY') throw apiErrors.invalidAttribute('delayMs', 'only a DELAY failure takes one');
  switch (failure) {
    case 'UNREACHABLE':
    case 'TIMEOUT':
      return { kind: failure };
    case 'DELAY':
      if (request.delayMs === undefined) throw apiErrors.missingAttribute('delayMs');
      return { kind: 'DELAY', delayMs: request.delayMs };
    case 'GARBAGE':
      return { kind: 'GARBAGE', body: request.body === undefined ? DEFAULT_GARBAGE : bodyText(request.body) };
    case 'STATUS': {
      const status = request.status;
      if (status === undefined) throw apiErrors.missingAttribute('status');
      return { kind: 'STATUS', status, body: request.body === undefined ? defaultErrorBody(status) : bodyText(request.body) };
    }
  }
}

/** A string is sent as it is (it may be anything); any other JSON value as its JSON. */
function bodyText(body: unknown): string {
  return typeof body === 'string' ? body : JSON.stringify(body);
}

/** An error body in the Public API's format, for a STATUS fault given no body. */
function defaultErrorBody(status: number): string {
  return JSON.stringify({
    detail: 'This answer was injected by the livelink control API.',
    error: status,
    errorCode: 'UNEXPECTED_ERROR',
    parameters: [],
    reason: STATUS_CODES[status] ?? 'Unknown',
  });
}
