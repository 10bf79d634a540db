import { createHash, timingSafeEqual } from 'node:crypto';
import { isLoopbackAddress } from '../shared/access-list.js';
import { apiErrors } from './api-error.js';

/**
 * The control API's one check, apart from the organizations' API keys: the configured admin token as
 * `Authorization: Bearer <token>`, or, with no token configured, a caller on this machine. `clientIp` is the
 * real client address (client-address.ts), so a trusted proxy cannot make a remote caller look local.
 *
 * The token is compared as SHA-256 digests in constant time: equal lengths for timingSafeEqual, and neither
 * the token's length nor its bytes show in the time a wrong guess takes.
 */
export function checkControlAccess(authorization: string | undefined, clientIp: string, token: string | undefined): void {
  if (token === undefined) {
    if (!isLoopbackAddress(clientIp)) throw apiErrors.controlLoopbackOnly(clientIp);
    return;
  }
  const presented = bearerToken(authorization);
  if (presented === undefined || !timingSafeEqual(digest(presented), digest(token))) throw apiErrors.controlUnauthorized();
}

/** The token of `Bearer <token>` (the scheme is case-insensitive, RFC 7235), or undefined. */
function bearerToken(authorization: string | undefined): string | undefined {
  const match = /^Bearer +(\S+) *$/i.exec(authorization ?? '');
  return match?.[1];
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
