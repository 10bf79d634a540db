import { randomBytes } from 'node:crypto';
import type { DigestCredentials } from '../../http/digest/authorization-header.js';
import { expectedResponse, ha1Hex } from '../../http/digest/digest-response.js';

/**
 * The client half of digest auth, for the source's calls to the target: reads a challenge and answers
 * it with MD5 or SHA-256 and qop=auth, as the Go client mongocli uses does. It shares the response
 * computation with the server's verifier, so the two cannot drift apart.
 */
export interface DigestChallenge {
  realm: string;
  nonce: string;
  algorithm: 'MD5' | 'SHA-256';
  qop: 'auth' | undefined;
  opaque: string | undefined;
  /**
   * RFC 7616 §3.3: the previous answer's digest was right but its nonce is no longer good there (expired,
   * or its replay records lost): answering again with this challenge's nonce is expected to work.
   */
  stale: boolean;
}

export function parseDigestChallenge(header: string): DigestChallenge | undefined {
  const match = /^\s*Digest\s+(.*)$/is.exec(header);
  if (match === null) return undefined;
  const params = new Map<string, string>();
  const pattern = /([A-Za-z-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*(?:,|$)/g;
  for (const part of (match[1] ?? '').matchAll(pattern)) {
    const name = part[1]?.toLowerCase();
    if (name !== undefined) params.set(name, (part[2] ?? part[3] ?? '').replace(/\\(.)/g, '$1'));
  }
  const realm = params.get('realm');
  const nonce = params.get('nonce');
  if (realm === undefined || nonce === undefined) return undefined;
  const algorithm = (params.get('algorithm') ?? 'MD5').toUpperCase();
  if (algorithm !== 'MD5' && algorithm !== 'SHA-256') return undefined;
  const qops = (params.get('qop') ?? '').split(',').map((q) => q.trim());
  return {
    realm,
    nonce,
    algorithm,
    qop: qops.includes('auth') ? 'auth' : undefined,
    opaque: params.get('opaque'),
    stale: params.get('stale')?.toLowerCase() === 'true',
  };
}

export function digestAuthorization(
  challenge: DigestChallenge,
  request: { method: string; uri: string; username: string; password: string },
): string {
  const credentials: DigestCredentials = {
    username: request.username,
    realm: challenge.realm,
    nonce: challenge.nonce,
    uri: request.uri,
    response: '',
    algorithm: challenge.algorithm,
    qop: challenge.qop,
    nc: challenge.qop === undefined ? undefined : '00000001',
    cnonce: challenge.qop === undefined ? undefined : randomBytes(8).toString('hex'),
    opaque: challenge.opaque,
  };
  const ha1 = ha1Hex(challenge.algorithm, request.username, challenge.realm, request.password);
  const response = expectedResponse(credentials, request.method, ha1);
  const fields = [
    `username="${quote(request.username)}"`,
    `realm="${quote(challenge.realm)}"`,
    `nonce="${quote(challenge.nonce)}"`,
    `uri="${quote(request.uri)}"`,
    `response="${response}"`,
    `algorithm=${challenge.algorithm}`,
  ];
  if (credentials.qop !== undefined) fields.push(`qop=auth`, `nc=${credentials.nc}`, `cnonce="${credentials.cnonce}"`);
  if (challenge.opaque !== undefined) fields.push(`opaque="${quote(challenge.opaque)}"`);
  return `Digest ${fields.join(', ')}`;
}

/** What the exchange needs of an answer: its status and headers. */
export interface DigestAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * One digest round trip: `send(undefined)` draws the challenge, `send(authorization)` answers it (the
 * body goes with the answer only). On a `401` whose challenge says stale=true — the key was right but the
 * server could no longer use the nonce (it expired on the way, or the server lost its replay records) —
 * the fresh nonce of that challenge is answered once, as curl and Python requests do. Once only: a
 * second 401, stale or not, is the call's answer; a 401 without stale=true (a wrong or revoked key) is
 * never retried. `undefined` when the first 401 carries no challenge this client can answer.
 */
export async function digestExchange<A extends DigestAnswer>(
  send: (authorization: string | undefined) => Promise<A>,
  request: { method: string; uri: string; username: string; password: string },
): Promise<A | undefined> {
  const first = await send(undefined);
  if (first.status !== 401) return first;
  const challenge = parseDigestChallenge(headerOf(first.headers, 'www-authenticate') ?? '');
  if (challenge === undefined) return undefined;
  const answered = await send(digestAuthorization(challenge, request));
  const retry = answered.status === 401 ? parseDigestChallenge(headerOf(answered.headers, 'www-authenticate') ?? '') : undefined;
  return retry?.stale === true ? send(digestAuthorization(retry, request)) : answered;
}

/** A header's (first) value, as undici hands headers over. */
export function headerOf(headers: DigestAnswer['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function quote(value: string): string {
  return value.replace(/["\\]/g, '\\$&');
}
