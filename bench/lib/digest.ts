/**
 * The client half of HTTP Digest (RFC 7616, MD5, qop=auth) for the load generator, written with
 * node:crypto alone and nothing from src/, so that the bench cannot share a bug with the server it
 * measures. HA1 and HA2 are computed once per key and per request line: a real client could cache them
 * too, and the generator must spend its core on sending requests, not on hashing.
 */
import { createHash, randomBytes } from 'node:crypto';

export const DIGEST_REALM = 'MMS Public API';

export function md5Hex(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

/** The nonce of a `WWW-Authenticate: Digest …` challenge; undefined when there is none. */
export function challengeNonce(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return undefined;
  return /nonce="([^"]+)"/.exec(value)?.[1];
}

/** One API key as a digest client holds it. */
export interface DigestKey {
  publicKey: string;
  privateKey: string;
}

/**
 * One client's digest state on one nonce: the nc counts up on every answer, as Python `requests` does
 * when it re-uses the last nonce. A client that takes a fresh challenge for every call (curl, Go,
 * mongocli) starts a new session per call and so always sends nc=00000001.
 */
export class DigestSession {
  readonly #ha1: string;
  readonly #username: string;
  readonly #cnoncePrefix = randomBytes(4).toString('hex');
  /** HA2 per "METHOD:uri": the bench sends a handful of distinct request lines, each many times. */
  readonly #ha2 = new Map<string, string>();
  #nonce: string | undefined;
  #nc = 0;

  constructor(key: DigestKey) {
    this.#username = key.publicKey;
    this.#ha1 = md5Hex(`${key.publicKey}:${DIGEST_REALM}:${key.privateKey}`);
  }

  get hasNonce(): boolean {
    return this.#nonce !== undefined;
  }

  /** Takes the nonce of a 401 challenge; the count restarts at 1 on a new nonce. */
  useNonce(nonce: string): void {
    this.#nonce = nonce;
    this.#nc = 0;
  }

  /** The Authorization value for the next request on the current nonce. */
  authorization(method: string, uri: string, cacheHa2 = true): string {
    const nonce = this.#nonce;
    if (nonce === undefined) throw new Error('digest session has no nonce yet');
    this.#nc += 1;
    const nc = this.#nc.toString(16).padStart(8, '0');
    // Unique per answer without a CSPRNG call per request; the server only needs it to be what was hashed.
    const cnonce = `${this.#cnoncePrefix}${nc}`;
    const line = `${method}:${uri}`;
    let ha2 = cacheHa2 ? this.#ha2.get(line) : undefined;
    if (ha2 === undefined) {
      ha2 = md5Hex(line);
      if (cacheHa2) this.#ha2.set(line, ha2);
    }
    const response = md5Hex(`${this.#ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`);
    return `Digest username="${this.#username}", realm="${DIGEST_REALM}", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=MD5, qop=auth, nc=${nc}, cnonce="${cnonce}"`;
  }
}
