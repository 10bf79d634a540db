/**
 * Test-only client side of Digest: an independent reference calculator (plain
 * node:crypto, nothing imported from src) and the Authorization header shapes
 * that real clients send, as described in shared/reference/digest-clients.md.
 */

import { createHash } from 'node:crypto';

export type Algorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess';

export interface ClientAnswer {
  username: string;
  password: string;
  realm: string;
  method: string;
  uri: string;
  nonce: string;
  algorithm: Algorithm;
  /** undefined = RFC 2069 form (no qop) */
  qop: 'auth' | undefined;
  nc: string;
  cnonce: string;
}

function hash(algorithm: Algorithm, text: string): string {
  return createHash(algorithm.startsWith('SHA-256') ? 'sha256' : 'md5')
    .update(text, 'utf8')
    .digest('hex');
}

/** The response a correct client computes (RFC 7616 §3.4.1). */
export function clientResponse(a: ClientAnswer): string {
  let ha1 = hash(a.algorithm, `${a.username}:${a.realm}:${a.password}`);
  if (a.algorithm.endsWith('-sess')) ha1 = hash(a.algorithm, `${ha1}:${a.nonce}:${a.cnonce}`);
  const ha2 = hash(a.algorithm, `${a.method}:${a.uri}`);
  return a.qop === 'auth'
    ? hash(a.algorithm, `${ha1}:${a.nonce}:${a.nc}:${a.cnonce}:auth:${ha2}`)
    : hash(a.algorithm, `${ha1}:${a.nonce}:${ha2}`);
}

/** HA1 as the server stores it. */
export function storedHa1(algorithm: 'MD5' | 'SHA-256', username: string, realm: string, password: string): string {
  return hash(algorithm, `${username}:${realm}:${password}`);
}

/** A curl-like header for an answer (algorithm, qop and nc unquoted). */
export function curlLikeHeader(a: ClientAnswer, response = clientResponse(a)): string {
  const parts = [`username="${a.username}"`, `realm="${a.realm}"`, `nonce="${a.nonce}"`, `uri="${a.uri}"`];
  if (a.qop === 'auth') parts.push(`cnonce="${a.cnonce}"`, `nc=${a.nc}`, 'qop=auth');
  parts.push(`response="${response}"`, `algorithm=${a.algorithm}`);
  return `Digest ${parts.join(', ')}`;
}

export interface ShapeFields {
  username: string;
  realm: string;
  nonce: string;
  /** path + query, as the request target */
  uri: string;
  response: string;
  nc: string;
  cnonce: string;
}

function pathOnly(uri: string): string {
  const q = uri.indexOf('?');
  return q === -1 ? uri : uri.slice(0, q);
}

/**
 * Header shapes per client. Every one answers MD5 with qop=auth except the
 * digest-fetch RFC 2069 variant (no qop, stray nc and cnonce).
 */
export const CLIENT_SHAPES: Readonly<Record<string, { build: (f: ShapeFields) => string; qop: boolean; uriWithoutQuery: boolean }>> = {
  // curl 7.88.1: nc, qop and algorithm unquoted, algorithm last.
  curl: {
    qop: true,
    uriWithoutQuery: false,
    build: (f) =>
      `Digest username="${f.username}", realm="${f.realm}", nonce="${f.nonce}", uri="${f.uri}", cnonce="${f.cnonce}", nc=${f.nc}, qop=auth, response="${f.response}", algorithm=MD5`,
  },
  // github.com/mongodb-forks/digest: algorithm="MD5" quoted, qop and nc unquoted.
  'go-mongodb-forks-digest': {
    qop: true,
    uriWithoutQuery: false,
    build: (f) =>
      `Digest username="${f.username}", realm="${f.realm}", nonce="${f.nonce}", uri="${f.uri}", response="${f.response}", algorithm="MD5", cnonce="${f.cnonce}", qop=auth, nc=${f.nc}`,
  },
  // Python requests HTTPDigestAuth: algorithm and qop quoted, nc unquoted.
  'python-requests': {
    qop: true,
    uriWithoutQuery: false,
    build: (f) =>
      `Digest username="${f.username}", realm="${f.realm}", nonce="${f.nonce}", uri="${f.uri}", response="${f.response}", algorithm="MD5", qop="auth", nc=${f.nc}, cnonce="${f.cnonce}"`,
  },
  // urllib 4 (npm): no algorithm at all.
  urllib: {
    qop: true,
    uriWithoutQuery: false,
    build: (f) =>
      `Digest username="${f.username}", realm="${f.realm}", nonce="${f.nonce}", uri="${f.uri}", response="${f.response}", qop=auth, nc=${f.nc}, cnonce="${f.cnonce}"`,
  },
  // digest-fetch 3.1.1: no spaces after commas.
  'digest-fetch': {
    qop: true,
    uriWithoutQuery: false,
    build: (f) =>
      `Digest username="${f.username}",realm="${f.realm}",nonce="${f.nonce}",uri="${f.uri}",qop="auth",algorithm=MD5,response="${f.response}",nc=${f.nc},cnonce="${f.cnonce}"`,
  },
  // digest-fetch against a challenge without qop: no qop, but nc and cnonce anyway.
  'digest-fetch-no-qop': {
    qop: false,
    uriWithoutQuery: false,
    build: (f) =>
      `Digest username="${f.username}",realm="${f.realm}",nonce="${f.nonce}",uri="${f.uri}",algorithm=MD5,response="${f.response}",nc=${f.nc},cnonce="${f.cnonce}"`,
  },
  // @mhoc/axios-digest-auth 0.8.0: everything quoted, no spaces, uri without the query.
  'mhoc-axios-digest-auth': {
    qop: true,
    uriWithoutQuery: true,
    build: (f) =>
      `Digest username="${f.username}",realm="${f.realm}",nonce="${f.nonce}",uri="${pathOnly(f.uri)}",qop="auth",algorithm="MD5",response="${f.response}",nc="${f.nc}",cnonce="${f.cnonce}"`,
  },
  // needle 3.5.0: starts with uri, every field quoted, no algorithm.
  needle: {
    qop: true,
    uriWithoutQuery: false,
    build: (f) =>
      `Digest uri="${f.uri}", realm="${f.realm}", nonce="${f.nonce}", username="${f.username}", response="${f.response}", qop="auth", nc="${f.nc}", cnonce="${f.cnonce}"`,
  },
};

export { pathOnly };

/** Extracts the nonce from a WWW-Authenticate value. */
export function nonceOf(challenge: string): string {
  const match = /nonce="([^"]*)"/.exec(challenge);
  if (match?.[1] === undefined) throw new Error(`no nonce in ${challenge}`);
  return match[1];
}
