/**
 * HTTP Digest authentication of API keys: username = public key, password =
 * private key, realm "MMS Public API".
 *
 * Verification order: parse → realm → uri → nonce MAC and age → digest
 * (constant time) → failed-answer throttle → replay guard. The throttle is
 * asked before any outcome is told, so a blocked pair learns nothing from its
 * answers; the replay guard comes last so that requests which do not carry a
 * valid digest cannot use up a real client's (nonce, nc) pairs (D-14).
 */

import { randomBytes } from 'node:crypto';

import { parseDigestAuthorization, type DigestCredentials } from './authorization-header.js';
import { DIGEST_REALM, digestChallenge } from './challenge.js';
import { baseAlgorithm, responseMatches, uriMatchesRequest } from './digest-response.js';
import { MAX_NONCE_COUNT, type NonceMinter } from './nonce.js';
import type { ReplayGuard } from './replay-guard.js';

/** HA1 hex per base algorithm: what Digest needs in place of the private key. */
export interface DigestSecrets {
  MD5: string;
  'SHA-256': string;
}

/** A key as authentication finds it: the caller's own record of it, and its digest secrets. */
export interface DigestKeyRecord<Key> {
  apiKey: Key;
  secrets: DigestSecrets;
}

/**
 * Resolves a public key to its record; undefined when there is no such key. Called once per answer: the
 * outcome carries the record, so nothing after authentication needs to look the key up again.
 */
export type DigestKeyLookup<Key> = (publicKey: string) => Promise<DigestKeyRecord<Key> | undefined>;

export type DigestOutcome<Key = unknown> =
  | { kind: 'authenticated'; publicKey: string; apiKey: Key }
  | {
      kind: 'challenge';
      stale: boolean;
      reason:
        | 'missing'
        | 'malformed'
        | 'unknown-nonce'
        | 'bad-response'
        | 'replay'
        | 'expired'
        | 'wrong-realm'
        | 'wrong-uri'
        | 'nonce-used-up'
        | 'stale-epoch';
    }
  /** Too many failed answers lately from this (public key, address): not even checked. */
  | { kind: 'throttled'; publicKey: string; retryAfterSeconds: number };

/**
 * Counts failed answers per (public key, client address), as D-21 asks: throttling the pair, never the
 * key alone, so nobody can lock a victim's automation out by sending bad answers with its public key
 * (public keys are not secret).
 */
export interface AuthFailureThrottle {
  /**
   * Seconds until the pair may try again; 0 when it may now. `recent` allows an answer up to a second
   * old (a shared throttle may then answer from its cache); it is asked only for an answer whose digest
   * verified, so a guess is always checked against the exact count (see DatabaseAuthFailureThrottle).
   */
  retryAfterSeconds(publicKey: string, address: string, options?: { recent: boolean }): Promise<number>;
  recordFailure(publicKey: string, address: string): Promise<void>;
}

/** Failures that say "someone tried credentials that do not work"; not an expired nonce or a first request. */
const COUNTED_FAILURES: ReadonlySet<string> = new Set(['unknown-nonce', 'bad-response', 'replay', 'wrong-realm', 'wrong-uri']);

type Challenge = Extract<DigestOutcome, { kind: 'challenge' }>;

/** What verifying an answer found: a refusal, or (for a right answer on a fresh nonce) the pair to claim. */
type Verification<Key> = { verified: false; outcome: Challenge } | Verified<Key>;
type Verified<Key> =
  | { verified: true; outcome: Challenge; claim?: undefined }
  | { verified: true; claim: { apiKey: Key; epoch: string; nc: string; expiresAtMs: number } };

function refused(outcome: Challenge): Verification<never> {
  return { verified: false, outcome };
}

function challengeOutcome(reason: Challenge['reason'], stale = false): Challenge {
  return { kind: 'challenge', stale, reason };
}

export class DigestAuthenticator<Key = unknown> {
  readonly #nonces: NonceMinter;
  readonly #replayGuard: ReplayGuard;
  readonly #lookupKey: DigestKeyLookup<Key>;
  // Digest is checked against these for unknown keys, so that an unknown key
  // costs the same work as a wrong private key (D-20). Random per process:
  // no password can match them.
  readonly #dummySecrets: DigestSecrets = {
    MD5: randomBytes(16).toString('hex'),
    'SHA-256': randomBytes(32).toString('hex'),
  };

  readonly #throttle: AuthFailureThrottle | undefined;

  constructor(options: { nonces: NonceMinter; replayGuard: ReplayGuard; lookupKey: DigestKeyLookup<Key>; throttle?: AuthFailureThrottle }) {
    this.#nonces = options.nonces;
    this.#replayGuard = options.replayGuard;
    this.#lookupKey = options.lookupKey;
    this.#throttle = options.throttle;
  }

  /**
   * Decides whether a request is authenticated. Rejections of the key lookup
   * or the replay guard (storage failures) propagate: turning them into a 401
   * would make clients report wrong credentials during an outage.
   */
  async authenticate(request: {
    method: string;
    target: string;
    authorization: string | undefined;
    address?: string;
  }): Promise<DigestOutcome<Key>> {
    // No header is the normal first request of every client: not a failure.
    if (request.authorization === undefined || request.authorization === '') return challengeOutcome('missing');

    const credentials = parseDigestAuthorization(request.authorization);
    if (credentials === null) return challengeOutcome('malformed');

    const throttle = this.#throttle;
    const address = request.address ?? '';
    const verification = await this.#verify(credentials, request);
    if (throttle !== undefined) {
      // Checked before any outcome is told, right answer or wrong, so that a blocked pair learns nothing,
      // not even whether its guess was right. A right one may be checked against a recent answer: only
      // the key's holder can produce one, and it saves the shared throttle's round trip on every request.
      const retryAfterSeconds = await throttle.retryAfterSeconds(credentials.username, address, { recent: verification.verified });
      if (retryAfterSeconds > 0) return { kind: 'throttled', publicKey: credentials.username, retryAfterSeconds };
    }
    const outcome = verification.verified ? await this.#claim(credentials, verification) : verification.outcome;
    if (throttle !== undefined && outcome.kind === 'challenge' && COUNTED_FAILURES.has(outcome.reason)) {
      await throttle.recordFailure(credentials.username, address);
    }
    return outcome;
  }

  /** Everything that needs no storage but the key lookup: the answer's verdict, or what to claim. */
  async #verify(credentials: DigestCredentials, request: { method: string; target: string }): Promise<Verification<Key>> {
    // Realm is part of HA1, so a wrong one could never verify anyway; failing
    // early costs no lookup and says nothing about the key.
    if (credentials.realm !== DIGEST_REALM) return refused(challengeOutcome('wrong-realm'));
    if (!uriMatchesRequest(credentials.uri, request.target)) return refused(challengeOutcome('wrong-uri'));

    const { state: nonceState, expiresAt: expiresAtMs, epoch } = this.#nonces.inspect(credentials.nonce);

    const record = await this.#lookupKey(credentials.username);
    const base = baseAlgorithm(credentials.algorithm);
    const ha1 = (record?.secrets ?? this.#dummySecrets)[base];
    const digestMatches = responseMatches(credentials, request.method, ha1);
    const verified = digestMatches && record !== undefined;

    if (nonceState === 'invalid') {
      // RFC 2617 §3.2.1: stale=true only when the digest is valid for the
      // presented nonce (e.g. a nonce from before a key change), so that the
      // client retries without treating it as bad credentials.
      return refused(challengeOutcome('unknown-nonce', verified));
    }
    if (!verified) return refused(challengeOutcome('bad-response'));
    // Right credentials on an old nonce: stale=true makes requests, digest-fetch
    // and curl retry once with the fresh nonce instead of reporting bad credentials.
    if (nonceState === 'expired') return { verified: true, outcome: challengeOutcome('expired', true) };

    if (expiresAtMs === undefined) return refused(challengeOutcome('unknown-nonce'));
    // Without qop the nc is not covered by the digest, so an attacker could
    // change it freely: key such answers on the nonce alone. Case is folded so
    // that 0000000a and 0000000A count as the same nc.
    const nc = credentials.qop === 'auth' ? (credentials.nc ?? '').toLowerCase() : '';
    // A nonce serves at most MAX_NONCE_COUNT answers (D-16): the replay records of one nonce stay
    // bounded, and a client that re-uses nonces (Python requests) is told to take a fresh one.
    if (nc !== '' && Number.parseInt(nc, 16) > MAX_NONCE_COUNT) return { verified: true, outcome: challengeOutcome('nonce-used-up', true) };
    return { verified: true, claim: { apiKey: record.apiKey, epoch, nc, expiresAtMs } };
  }

  /** The replay guard, last: only an answer that verified may use up its (nonce, nc) pair (D-14). */
  async #claim(credentials: DigestCredentials, verification: Verified<Key>): Promise<DigestOutcome<Key>> {
    if (verification.claim === undefined) return verification.outcome;
    const { apiKey, epoch, nc, expiresAtMs } = verification.claim;
    const verdict = await this.#replayGuard.claim(credentials.nonce, epoch, nc, expiresAtMs);
    if (verdict === 'replay') return challengeOutcome('replay');
    // The guard lost the records of the nonce's epoch: a right answer on a nonce it can no longer vouch
    // for, so, as for an expired one, the client takes a fresh nonce and retries.
    if (verdict === 'stale') return challengeOutcome('stale-epoch', true);
    return { kind: 'authenticated', publicKey: credentials.username, apiKey };
  }

  /** The WWW-Authenticate value, with a freshly minted nonce. */
  challenge(stale: boolean): string {
    return digestChallenge(this.#nonces.mint(), stale);
  }
}
