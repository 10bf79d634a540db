/**
 * The Digest response calculation (RFC 7616 §3.4.1–3.4.3, RFC 2617 §3.2.2)
 * and the comparisons around it.
 */

import { hash, timingSafeEqual } from 'node:crypto';

import type { DigestCredentials } from './authorization-header.js';

type BaseAlgorithm = 'MD5' | 'SHA-256';

const NODE_HASH: Readonly<Record<BaseAlgorithm, string>> = { MD5: 'md5', 'SHA-256': 'sha256' };

/** The hash that a (possibly -sess) algorithm is built on. */
export function baseAlgorithm(algorithm: DigestCredentials['algorithm']): BaseAlgorithm {
  return algorithm === 'SHA-256' || algorithm === 'SHA-256-sess' ? 'SHA-256' : 'MD5';
}

// UTF-8, as RFC 7616 §3.4.4 says for charset=UTF-8 and as every tested client does. The one-shot hash(),
// not createHash(): no Hash object per call, a third less time for the answer's hash on every request.
function h(algorithm: BaseAlgorithm, data: string): string {
  return hash(NODE_HASH[algorithm], data, 'hex');
}

/** HA1 = H(username:realm:password); stored per base algorithm, since it is what the server needs. */
export function ha1Hex(algorithm: 'MD5' | 'SHA-256', username: string, realm: string, password: string): string {
  return h(algorithm, `${username}:${realm}:${password}`);
}

/**
 * HA2 = H(method:uri) depends on public data only, and a client repeats the same few request lines, so
 * each is hashed once. Bounded: the cache starts over when full, so a stream of distinct URIs (a million
 * organizations) costs a Map insert per request, never memory.
 */
const HA2_CACHE_LIMIT = 1000;
const ha2Cache: Readonly<Record<BaseAlgorithm, Map<string, string>>> = { MD5: new Map(), 'SHA-256': new Map() };

function ha2Hex(algorithm: BaseAlgorithm, method: string, uri: string): string {
  const line = `${method}:${uri}`;
  const cache = ha2Cache[algorithm];
  let ha2 = cache.get(line);
  if (ha2 === undefined) {
    ha2 = h(algorithm, line);
    if (cache.size >= HA2_CACHE_LIMIT) cache.clear();
    cache.set(line, ha2);
  }
  return ha2;
}

/** What the final hash is taken over (RFC 7616 §3.4.1), from what the client actually sent. */
function responseInput(credentials: DigestCredentials, method: string, ha1: string): { algorithm: BaseAlgorithm; input: string } {
  const algorithm = baseAlgorithm(credentials.algorithm);
  const { nonce, uri, qop } = credentials;
  const cnonce = credentials.cnonce ?? '';
  let key = ha1.toLowerCase();
  if (credentials.algorithm.endsWith('-sess')) {
    // Session variant: the client nonce is folded into HA1 (RFC 7616 §3.4.2).
    key = h(algorithm, `${key}:${nonce}:${cnonce}`);
  }
  const ha2 = ha2Hex(algorithm, method, uri);
  // Without qop, the RFC 2069 form: stray nc/cnonce (digest-fetch sends them without qop) are ignored,
  // because they are not part of this calculation.
  const input = qop === 'auth' ? `${key}:${nonce}:${credentials.nc ?? ''}:${cnonce}:${qop}:${ha2}` : `${key}:${nonce}:${ha2}`;
  return { algorithm, input };
}

/**
 * The response the client should have sent, computed from what it actually
 * sent: HA2 uses the method as received and the `uri` from the header, not
 * the request target (@mhoc/axios-digest-auth hashes the path without the
 * query, every other client the path and query as sent).
 * `ha1` is the stored H(username:realm:password) for the base algorithm.
 */
export function expectedResponse(credentials: DigestCredentials, method: string, ha1: string): string {
  const { algorithm, input } = responseInput(credentials, method, ha1);
  return h(algorithm, input);
}

/**
 * Whether the client's `response` is the expected one, compared in constant time on the bytes (D-19):
 * `expectedResponse(…)` against `response` in either case, without the hex round trips.
 */
export function responseMatches(credentials: DigestCredentials, method: string, ha1: string): boolean {
  const { algorithm, input } = responseInput(credentials, method, ha1);
  const expected = hash(NODE_HASH[algorithm], input, 'buffer');
  const presented = credentials.response;
  // Hex of the right length only: Buffer.from would silently drop what is not hex.
  if (presented.length !== expected.length * 2 || !HEX.test(presented)) {
    // Lengths are public (they follow from the algorithm); still do comparable work.
    timingSafeEqual(expected, expected);
    return false;
  }
  return timingSafeEqual(Buffer.from(presented, 'hex'), expected);
}

const HEX = /^[0-9a-fA-F]*$/;

const ABSOLUTE_URI = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/;

/**
 * Whether the `uri` the client hashed names the request it came with
 * (RFC 7616 §3.4.6). Accepted:
 *  - the request target exactly (path + query as received: curl, Go, requests…);
 *  - the path alone, when the client left the query out (@mhoc/axios-digest-auth);
 *  - an absolute URI whose path + query is the request target (allowed by the RFC).
 */
export function uriMatchesRequest(credentialUri: string, requestTarget: string): boolean {
  if (credentialUri === requestTarget) return true;
  const queryAt = requestTarget.indexOf('?');
  const path = queryAt === -1 ? requestTarget : requestTarget.slice(0, queryAt);
  if (credentialUri === path) return true;
  const authority = ABSOLUTE_URI.exec(credentialUri);
  if (authority !== null) {
    const rest = credentialUri.slice(authority[0].length);
    // An absolute URI with an empty path means "/" (RFC 3986 §6.2.3).
    const pathAndQuery = rest === '' || rest.startsWith('?') ? `/${rest}` : rest;
    return pathAndQuery === requestTarget;
  }
  return false;
}
