import type { FastifyRequest } from 'fastify';
import { accessListAllows } from '../shared/access-list.js';
import { apiErrors } from './api-error.js';
import type { DigestAuthenticator } from './digest/digest-authenticator.js';
import type { EdgeMetrics } from './edge-metrics.js';
import type { AccessDirectory, EdgeTypes } from './edge-types.js';
import { stateOf } from './request-state.js';

export interface AuthenticationOptions<T extends EdgeTypes> {
  authenticator: DigestAuthenticator<T['key']>;
  directory: AccessDirectory<T>;
  metrics: Pick<EdgeMetrics, 'digestFailure'>;
}

/**
 * The first step of every /api/ request, before routing results, body parsing or validation are used:
 * the digest answer, then the key's IP access list and its organization's require-access-list setting.
 * The key is looked up once, by the authenticator, which hands it back with the outcome.
 */
export function authenticationStep<T extends EdgeTypes>(options: AuthenticationOptions<T>): (request: FastifyRequest) => Promise<void> {
  const { authenticator, directory, metrics } = options;
  return async function authenticate(request) {
    const state = stateOf<T>(request);
    const ip = state.clientIp;
    const outcome = await authenticator.authenticate({
      method: request.method,
      target: request.url,
      authorization: request.headers.authorization,
      address: ip,
    });
    if (outcome.kind === 'throttled') {
      metrics.digestFailure('throttled');
      request.log.warn({ event: 'authentication-throttled', publicKey: outcome.publicKey, ip }, 'failed answers throttled');
      throw apiErrors.tooManyFailedAttempts(outcome.retryAfterSeconds);
    }
    if (outcome.kind === 'challenge' && outcome.reason !== 'missing') metrics.digestFailure(outcome.reason);
    // The answer is for another request target: a malformed request rather than bad credentials (D-09).
    if (outcome.kind === 'challenge' && outcome.reason === 'wrong-uri') throw apiErrors.digestUriMismatch();
    if (outcome.kind !== 'authenticated') {
      if (outcome.reason !== 'missing')
        request.log.info({ event: 'authentication-failed', reason: outcome.reason, ip }, 'digest authentication failed');
      throw apiErrors.notAuthenticated(authenticator.challenge(outcome.stale));
    }
    const key = outcome.apiKey;
    state.apiKey = key;
    if (key.accessList.length > 0 && !accessListAllows(key.accessList, ip)) {
      request.log.info({ event: 'access-list-denied', publicKey: key.publicKey, ip }, 'caller not on the key access list');
      throw apiErrors.ipNotOnAccessList(ip);
    }
    if (key.accessList.length === 0 && key.orgId !== null) {
      const keyOrganization = await directory.getOrganization(key.orgId);
      // Kept: the route usually concerns the key's own organization, which then is not read twice.
      state.keyOrganization = keyOrganization;
      if (keyOrganization?.requireAccessList === true) throw apiErrors.orgRequiresAccessList(ip);
    }
  };
}
