/**
 * Parser for the `Authorization: Digest …` request header (RFC 7616 §3.4).
 *
 * Written by hand rather than with a regular expression so that it is linear
 * in the input, never throws, and can be lenient in exactly the ways that the
 * real clients need:
 *  - curl sends `nc`, `qop` and `algorithm` unquoted; requests, Go, needle and
 *    @mhoc/axios-digest-auth quote them;
 *  - digest-fetch and @mhoc put no space after the commas;
 *  - needle starts with `uri`, so the order is free;
 *  - urllib and needle leave `algorithm` out, which means MD5.
 * It is strict where leniency would weaken the check: duplicates, malformed
 * nc/response, qop other than `auth`, and `userhash=true` are refused.
 */

export type DigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess';

export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm: DigestAlgorithm;
  qop: 'auth' | undefined;
  nc: string | undefined;
  cnonce: string | undefined;
  opaque: string | undefined;
}

/** Longer headers are refused before any parsing, so that parsing cost stays bounded. */
const MAX_HEADER_LENGTH = 4096;

const ALGORITHMS: ReadonlyMap<string, DigestAlgorithm> = new Map<string, DigestAlgorithm>([
  ['md5', 'MD5'],
  ['md5-sess', 'MD5-sess'],
  ['sha-256', 'SHA-256'],
  ['sha-256-sess', 'SHA-256-sess'],
]);

/** Hex length of the response for each algorithm: 128-bit MD5, 256-bit SHA-256. */
const RESPONSE_HEX_LENGTH: Readonly<Record<DigestAlgorithm, number>> = {
  MD5: 32,
  'MD5-sess': 32,
  'SHA-256': 64,
  'SHA-256-sess': 64,
};

const NC_PATTERN = /^[0-9a-fA-F]{8}$/;
const HEX_PATTERN = /^[0-9a-fA-F]+$/;

/** RFC 9110 tchar: the characters allowed in a parameter name or an unquoted value, as a table by code. */
const TOKEN_CHARS = new Uint8Array(128);
for (const char of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TOKEN_CHARS[char.charCodeAt(0)] = 1;

function isTokenChar(code: number): boolean {
  return code < 128 && TOKEN_CHARS[code] === 1;
}

function isWhitespace(code: number): boolean {
  // Only SP and HTAB: Node has already unfolded the header, so CR/LF cannot be
  // legitimate here and accepting them would only widen what we take in.
  return code === 0x20 || code === 0x09;
}

/**
 * Splits the parameter list into a name → value map.
 * Returns null on any syntax error or on a repeated name: a duplicate could be
 * used to make two layers (proxy and us) read different values.
 */
function parseParameters(input: string, start: number): Map<string, string> | null {
  const params = new Map<string, string>();
  let i = start;
  const n = input.length;

  for (;;) {
    // Skip whitespace and empty list elements (RFC 9110 §5.6.1 allows `a, , b`).
    while (i < n && (isWhitespace(input.charCodeAt(i)) || input.charCodeAt(i) === 0x2c)) i++;
    if (i >= n) break;

    const nameStart = i;
    while (i < n && isTokenChar(input.charCodeAt(i))) i++;
    if (i === nameStart) return null;
    const name = input.slice(nameStart, i).toLowerCase();

    while (i < n && isWhitespace(input.charCodeAt(i))) i++;
    if (input.charCodeAt(i) !== 0x3d /* = */) return null;
    i++;
    while (i < n && isWhitespace(input.charCodeAt(i))) i++;

    let value: string;
    if (input.charCodeAt(i) === 0x22 /* " */) {
      i++;
      // Most values have no quoted-pair: they are one slice, not a string built a character at a time.
      const valueStart = i;
      let escaped = false;
      let closed = false;
      while (i < n) {
        const code = input.charCodeAt(i);
        if (code === 0x5c /* \ */) {
          if (i + 1 >= n) return null;
          escaped = true;
          i += 2;
          continue;
        }
        if (code === 0x22) {
          closed = true;
          break;
        }
        i++;
      }
      if (!closed) return null;
      // quoted-pair: the character after a backslash is taken literally.
      value = escaped ? input.slice(valueStart, i).replace(/\\(.)/gs, '$1') : input.slice(valueStart, i);
      i++;
    } else {
      // Unquoted values: curl's `nc=00000001, qop=auth, algorithm=MD5`.
      // Anything up to a separator is taken (token68 characters such as `/`
      // and `=` included), so an unquoted base64 value also survives.
      const valueStart = i;
      while (i < n) {
        const code = input.charCodeAt(i);
        if (code === 0x2c || isWhitespace(code) || code === 0x22) break;
        i++;
      }
      if (i === valueStart) return null;
      value = input.slice(valueStart, i);
    }

    if (params.has(name)) return null;
    params.set(name, value);

    while (i < n && isWhitespace(input.charCodeAt(i))) i++;
    if (i >= n) break;
    if (input.charCodeAt(i) !== 0x2c) return null;
  }
  return params;
}

/**
 * Parses a `Digest` Authorization header. Returns null when the header is not
 * a usable Digest answer; never throws, whatever the input.
 */
export function parseDigestAuthorization(header: string): DigestCredentials | null {
  // The type says string, but this sits on the network boundary: be defensive.
  if (typeof header !== 'string' || header.length > MAX_HEADER_LENGTH) return null;

  let i = 0;
  while (i < header.length && isWhitespace(header.charCodeAt(i))) i++;
  const schemeStart = i;
  while (i < header.length && isTokenChar(header.charCodeAt(i))) i++;
  if (header.slice(schemeStart, i).toLowerCase() !== 'digest') return null;
  // The scheme must be followed by whitespace: `Digestusername=…` is not Digest.
  if (i >= header.length || !isWhitespace(header.charCodeAt(i))) return null;

  const params = parseParameters(header, i);
  if (params === null) return null;

  const username = params.get('username');
  const realm = params.get('realm');
  const nonce = params.get('nonce');
  const uri = params.get('uri');
  const response = params.get('response');
  if (!username || realm === undefined || !nonce || !uri || !response) return null;

  // userhash=true (RFC 7616 §3.4.4) would mean looking keys up by hash; we
  // never offer it, so a client claiming it is not talking to us.
  const userhash = params.get('userhash');
  if (userhash !== undefined && userhash.toLowerCase() !== 'false') return null;

  const algorithmText = params.get('algorithm');
  const algorithm = algorithmText === undefined ? 'MD5' : ALGORITHMS.get(algorithmText.toLowerCase());
  if (algorithm === undefined) return null;

  const qopText = params.get('qop');
  let qop: 'auth' | undefined;
  if (qopText !== undefined) {
    // Only `auth` is offered; auth-int would need the body hashed, which the
    // clients get wrong anyway (curl, urllib).
    if (qopText.toLowerCase() !== 'auth') return null;
    qop = 'auth';
  }

  const nc = params.get('nc');
  const cnonce = params.get('cnonce');
  if (nc !== undefined && !NC_PATTERN.test(nc)) return null;
  if (qop === 'auth' && (nc === undefined || !cnonce)) return null;
  // The -sess forms fold the cnonce into HA1 (RFC 7616 §3.4.2); without qop
  // there is no cnonce by the RFC, so such a request cannot be computed.
  if (algorithm.endsWith('-sess') && qop === undefined) return null;

  if (response.length !== RESPONSE_HEX_LENGTH[algorithm] || !HEX_PATTERN.test(response)) return null;

  return {
    username,
    realm,
    nonce,
    uri,
    response,
    algorithm,
    qop,
    nc,
    cnonce,
    opaque: params.get('opaque'),
  };
}
