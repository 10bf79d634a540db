import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { DIGEST_REALM } from '../../src/http/digest/challenge.js';
import { DigestAuthenticator } from '../../src/http/digest/digest-authenticator.js';
import type { DigestOutcome, DigestSecrets } from '../../src/http/digest/digest-authenticator.js';
import { MAX_NONCE_COUNT, NonceMinter } from '../../src/http/digest/nonce.js';
import { MemoryReplayGuard } from '../../src/http/digest/replay-guard.js';
import { CLIENT_SHAPES, clientResponse, curlLikeHeader, nonceOf, pathOnly, storedHa1 } from './client-side.js';
import type { Algorithm, ClientAnswer } from './client-side.js';

const T0 = 1_700_000_000_000;
const LIFETIME = 300_000;
const PUBLIC_KEY = 'abcdefgh';
const PRIVATE_KEY = '0b6e1fd2-5c47-4a36-9f1e-3d2f4c9a8b71';
const TARGET = '/api/public/v1.0/orgs/5e2211c17a3e5a48f5497de3/liveExport/migrationLink/status?pretty=true';

function secretsFor(username: string, password: string): DigestSecrets {
  return {
    MD5: storedHa1('MD5', username, DIGEST_REALM, password),
    'SHA-256': storedHa1('SHA-256', username, DIGEST_REALM, password),
  };
}

function setup() {
  let now = T0;
  const nonces = new NonceMinter({ key: Buffer.alloc(32, 0x42), lifetimeMs: LIFETIME, now: () => now });
  const replayGuard = new MemoryReplayGuard({ now: () => now });
  const keys = new Map<string, DigestSecrets>([[PUBLIC_KEY, secretsFor(PUBLIC_KEY, PRIVATE_KEY)]]);
  const lookups: string[] = [];
  const authenticator = new DigestAuthenticator({
    nonces,
    replayGuard,
    lookupKey: async (publicKey) => {
      lookups.push(publicKey);
      const secrets = keys.get(publicKey);
      // The record stands for the caller's own key object, handed back in the outcome.
      return secrets === undefined ? undefined : { apiKey: { publicKey }, secrets };
    },
  });
  const freshNonce = () => nonceOf(authenticator.challenge(false));
  const answer = (overrides: Partial<ClientAnswer> = {}): ClientAnswer => ({
    username: PUBLIC_KEY,
    password: PRIVATE_KEY,
    realm: DIGEST_REALM,
    method: 'GET',
    uri: TARGET,
    nonce: freshNonce(),
    algorithm: 'MD5',
    qop: 'auth',
    nc: '00000001',
    cnonce: '0a4f113b',
    ...overrides,
  });
  const send = (authorization: string | undefined, method = 'GET', target = TARGET) =>
    authenticator.authenticate({ method, target, authorization });
  return { authenticator, replayGuard, lookups, answer, send, setNow: (t: number) => (now = t) };
}

const AUTHENTICATED: DigestOutcome = { kind: 'authenticated', publicKey: PUBLIC_KEY, apiKey: { publicKey: PUBLIC_KEY } };
const challenge = (reason: Extract<DigestOutcome, { kind: 'challenge' }>['reason'], stale = false): DigestOutcome => ({
  kind: 'challenge',
  stale,
  reason,
});

describe('DigestAuthenticator', () => {
  it('round trip: challenge, then a client-computed answer authenticates', async () => {
    const { authenticator, send } = setup();
    const wwwAuthenticate = authenticator.challenge(false);
    assert.match(
      wwwAuthenticate,
      /^Digest realm="MMS Public API", domain="", nonce="[0-9a-f]{68}", algorithm=MD5, qop="auth", stale=false$/,
    );
    const a: ClientAnswer = {
      username: PUBLIC_KEY,
      password: PRIVATE_KEY,
      realm: DIGEST_REALM,
      method: 'POST',
      uri: TARGET,
      nonce: nonceOf(wwwAuthenticate),
      algorithm: 'MD5',
      qop: 'auth',
      nc: '00000001',
      cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
    };
    assert.deepEqual(await send(curlLikeHeader(a), 'POST'), AUTHENTICATED);
  });

  it('challenge(true) says stale=true with a fresh nonce each time', () => {
    const { authenticator } = setup();
    const one = authenticator.challenge(true);
    assert.match(one, /, stale=true$/);
    assert.notEqual(nonceOf(one), nonceOf(authenticator.challenge(true)));
  });

  for (const [client, shape] of Object.entries(CLIENT_SHAPES)) {
    it(`authenticates the ${client} header shape`, async () => {
      const { answer, send } = setup();
      const a = answer({ nc: '00000002', qop: shape.qop ? 'auth' : undefined, uri: shape.uriWithoutQuery ? pathOnly(TARGET) : TARGET });
      const header = shape.build({
        username: a.username,
        realm: a.realm,
        nonce: a.nonce,
        uri: TARGET,
        response: clientResponse(a),
        nc: a.nc,
        cnonce: a.cnonce,
      });
      assert.deepEqual(await send(header), AUTHENTICATED);
      assert.deepEqual(await send(header), challenge('replay'));
    });
  }

  it('missing header → challenge stale=false, reason missing, no lookup', async () => {
    const { send, lookups } = setup();
    assert.deepEqual(await send(undefined), challenge('missing'));
    assert.deepEqual(await send(''), challenge('missing'));
    assert.deepEqual(lookups, []);
  });

  it('malformed or non-Digest header → reason malformed', async () => {
    const { send, answer } = setup();
    assert.deepEqual(await send('Basic YWJjZGVmZ2g6c2VjcmV0'), challenge('malformed'));
    assert.deepEqual(await send('Digest username="x"'), challenge('malformed'));
    const a = answer();
    assert.deepEqual(await send(curlLikeHeader(a, clientResponse(a).slice(1))), challenge('malformed'));
  });

  it('one captured header sent 5 times → [authenticated, replay × 4]', async () => {
    const { send, answer } = setup();
    const header = curlLikeHeader(answer());
    const outcomes = [];
    for (let i = 0; i < 5; i++) outcomes.push(await send(header));
    assert.deepEqual(outcomes, [AUTHENTICATED, challenge('replay'), challenge('replay'), challenge('replay'), challenge('replay')]);
  });

  it('50 parallel copies of one header → exactly one authenticated', async () => {
    const { send, answer } = setup();
    const header = curlLikeHeader(answer());
    const outcomes = await Promise.all(Array.from({ length: 50 }, () => send(header)));
    assert.equal(outcomes.filter((o) => o.kind === 'authenticated').length, 1);
    assert.equal(outcomes.filter((o) => o.kind === 'challenge' && o.reason === 'replay').length, 49);
  });

  it('same nonce with a new nc is accepted; nc may start at 5 and go down', async () => {
    const { send, answer } = setup();
    const first = answer({ nc: '00000005' });
    const results = [];
    for (const nc of ['00000005', '00000006', '00000003', '00000005', '0000000A', '0000000a']) {
      results.push((await send(curlLikeHeader({ ...first, nc }))).kind);
    }
    assert.deepEqual(results, ['authenticated', 'authenticated', 'authenticated', 'challenge', 'authenticated', 'challenge']);
  });

  it('a nonce is good until its lifetime, then expired + right digest → stale=true', async () => {
    const { send, answer, setNow } = setup();
    const a = answer();
    setNow(T0 + LIFETIME - 1_000);
    assert.deepEqual(await send(curlLikeHeader({ ...a, nc: '00000001' })), AUTHENTICATED);
    setNow(T0 + LIFETIME + 1_000);
    assert.deepEqual(await send(curlLikeHeader({ ...a, nc: '00000002' })), challenge('expired', true));
    // the client retries on the new nonce and succeeds
    assert.deepEqual(await send(curlLikeHeader(answer())), AUTHENTICATED);
  });

  it('expired nonce + wrong digest → stale=false (bad-response)', async () => {
    const { send, answer, setNow } = setup();
    const a = answer({ password: 'wrong' });
    setNow(T0 + LIFETIME + 1_000);
    assert.deepEqual(await send(curlLikeHeader(a)), challenge('bad-response'));
    const unknown = answer({ username: 'nobody', password: 'x' });
    setNow(T0 + 3 * LIFETIME);
    assert.deepEqual(await send(curlLikeHeader(unknown)), challenge('bad-response'));
  });

  it('unknown public key and wrong private key are indistinguishable, and both are looked up', async () => {
    const { send, answer, lookups } = setup();
    const wrongPassword = await send(curlLikeHeader(answer({ password: 'not-the-key' })));
    const unknownKey = await send(curlLikeHeader(answer({ username: 'zzzzzzzz' })));
    assert.deepEqual(wrongPassword, challenge('bad-response'));
    assert.deepEqual(unknownKey, wrongPassword);
    assert.deepEqual(lookups, [PUBLIC_KEY, 'zzzzzzzz']);
  });

  it('wrong realm → reason wrong-realm, no lookup', async () => {
    const { send, answer, lookups } = setup();
    assert.deepEqual(await send(curlLikeHeader(answer({ realm: 'Other Realm' }))), challenge('wrong-realm'));
    assert.deepEqual(lookups, []);
  });

  it('a uri for another path or another query is refused (wrong-uri)', async () => {
    const { send, answer } = setup();
    const other = answer({ uri: '/api/public/v1.0/orgs/5e2211c17a3e5a48f5497de3/liveExport/migrationLink' });
    assert.deepEqual(await send(curlLikeHeader(other)), challenge('wrong-uri'));
    const otherQuery = answer({ uri: `${pathOnly(TARGET)}?pretty=false` });
    assert.deepEqual(await send(curlLikeHeader(otherQuery)), challenge('wrong-uri'));
  });

  it('a uri without the query string is accepted (@mhoc)', async () => {
    const { send, answer } = setup();
    assert.deepEqual(await send(curlLikeHeader(answer({ uri: pathOnly(TARGET) }))), AUTHENTICATED);
  });

  it('the method is hashed as received: a digest for GET does not pass as DELETE', async () => {
    const { send, answer } = setup();
    assert.deepEqual(await send(curlLikeHeader(answer({ method: 'GET' })), 'DELETE'), challenge('bad-response'));
    assert.deepEqual(await send(curlLikeHeader(answer({ method: 'get' })), 'GET'), challenge('bad-response'));
  });

  for (const algorithm of ['SHA-256', 'MD5-sess', 'SHA-256-sess'] as const satisfies readonly Algorithm[]) {
    it(`${algorithm} works, and fails with the wrong password`, async () => {
      const { send, answer } = setup();
      assert.deepEqual(await send(curlLikeHeader(answer({ algorithm }))), AUTHENTICATED);
      assert.deepEqual(await send(curlLikeHeader(answer({ algorithm, password: 'nope' }))), challenge('bad-response'));
    });
  }

  it('a SHA-256 answer labelled MD5 is refused', async () => {
    const { send, answer } = setup();
    const a = answer({ algorithm: 'SHA-256' });
    const header = curlLikeHeader(a).replace('algorithm=SHA-256', 'algorithm=MD5');
    assert.deepEqual(await send(header), challenge('malformed')); // 64-hex response for MD5
  });

  it('RFC 2069 (no qop) works once per nonce, whatever stray nc is sent', async () => {
    const { send, answer } = setup();
    const a = answer({ qop: undefined });
    const header = curlLikeHeader(a);
    assert.deepEqual(await send(header), AUTHENTICATED);
    assert.deepEqual(await send(`${header}, nc=00000007, cnonce="x"`), challenge('replay'));
  });

  it('tampered nonce → unknown-nonce; stale=true only if the digest is valid for it', async () => {
    const { send, answer } = setup();
    const a = answer();
    const tamperedNonce = `${a.nonce.slice(0, -1)}${a.nonce.endsWith('0') ? '1' : '0'}`;
    assert.deepEqual(await send(curlLikeHeader({ ...a, nonce: tamperedNonce })), challenge('unknown-nonce', true));
    assert.deepEqual(await send(curlLikeHeader({ ...a, nonce: tamperedNonce, password: 'wrong' })), challenge('unknown-nonce', false));
    assert.deepEqual(await send(curlLikeHeader({ ...a, nonce: tamperedNonce, username: 'ghost' })), challenge('unknown-nonce', false));
    // The original answer is untouched by all that.
    assert.deepEqual(await send(curlLikeHeader(a)), AUTHENTICATED);
  });

  it('bogus requests carrying a victim nonce and nc do not burn that nc', async () => {
    const { send, answer } = setup();
    const victim = answer({ nc: '00000001' });
    const bogus = curlLikeHeader(victim, '0'.repeat(32));
    for (let i = 0; i < 3; i++) assert.deepEqual(await send(bogus), challenge('bad-response'));
    assert.deepEqual(await send(curlLikeHeader(victim)), AUTHENTICATED);
    assert.deepEqual(await send(bogus), challenge('bad-response'));
    assert.deepEqual(await send(curlLikeHeader({ ...victim, nc: '00000002' })), AUTHENTICATED);
  });

  it('a nonce minted by another node (same key) is accepted', async () => {
    const nodeA = setup();
    const nodeB = setup();
    const a = nodeA.answer();
    assert.deepEqual(await nodeB.send(curlLikeHeader(a)), AUTHENTICATED);
  });

  it('a failing key lookup propagates instead of turning into a 401', async () => {
    const nonces = new NonceMinter({ key: Buffer.alloc(32, 1), lifetimeMs: LIFETIME, now: () => T0 });
    const authenticator = new DigestAuthenticator({
      nonces,
      replayGuard: new MemoryReplayGuard({ now: () => T0 }),
      lookupKey: () => Promise.reject(new Error('database down')),
    });
    const a: ClientAnswer = {
      username: PUBLIC_KEY,
      password: PRIVATE_KEY,
      realm: DIGEST_REALM,
      method: 'GET',
      uri: TARGET,
      nonce: nonces.mint(),
      algorithm: 'MD5',
      qop: 'auth',
      nc: '00000001',
      cnonce: 'c',
    };
    await assert.rejects(authenticator.authenticate({ method: 'GET', target: TARGET, authorization: curlLikeHeader(a) }), /database down/);
  });

  it('property: a random wrong password never authenticates', async () => {
    const { send, answer } = setup();
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'binary', maxLength: 64 }),
        fc.constantFrom<Algorithm>('MD5', 'MD5-sess', 'SHA-256', 'SHA-256-sess'),
        async (password, algorithm) => {
          fc.pre(password !== PRIVATE_KEY);
          const outcome = await send(curlLikeHeader(answer({ password, algorithm })));
          assert.deepEqual(outcome, challenge('bad-response'));
        },
      ),
      { numRuns: 300 },
    );
  });

  it(`answers an nc above ${MAX_NONCE_COUNT} with stale=true, so the client takes a fresh nonce (D-16)`, async () => {
    const { answer, send } = setup();
    const a = answer({ nc: (MAX_NONCE_COUNT + 1).toString(16).padStart(8, '0') });
    assert.deepEqual(await send(curlLikeHeader(a)), challenge('nonce-used-up', true));
    assert.deepEqual(await send(curlLikeHeader({ ...a, nc: MAX_NONCE_COUNT.toString(16).padStart(8, '0') })), AUTHENTICATED);
  });

  it('property: random valid answers verify, and changing any one field makes them fail', async () => {
    const setupState = setup();
    const text = fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }).filter((s) => !s.includes('"') && !s.includes('\\'));
    // Any nc a nonce may carry (1 to MAX_NONCE_COUNT), in 8 hex digits.
    const hex8 = fc.integer({ min: 1, max: MAX_NONCE_COUNT }).map((n) => n.toString(16).padStart(8, '0'));
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          method: fc.constantFrom('GET', 'POST', 'DELETE'),
          path: fc.webPath().map((p) => (p.startsWith('/') ? p : `/${p}`)),
          query: fc.option(
            fc.string({ unit: 'binary', maxLength: 20 }).map((q) => encodeURI(q)),
            { nil: undefined },
          ),
          nc: hex8,
          cnonce: text,
          algorithm: fc.constantFrom<Algorithm>('MD5', 'MD5-sess', 'SHA-256', 'SHA-256-sess'),
          mutate: fc.constantFrom('none', 'username', 'method', 'uri', 'nc', 'cnonce', 'nonce', 'response', 'target'),
        }),
        async (r) => {
          const uri = r.query === undefined ? r.path : `${r.path}?${r.query}`;
          const a = setupState.answer({ method: r.method, uri, nc: r.nc, cnonce: r.cnonce, algorithm: r.algorithm });
          const response = clientResponse(a);
          const flipped = (s: string) => `${s.slice(0, -1)}${s.endsWith('0') ? '1' : '0'}`;
          let header = curlLikeHeader(a, response);
          let method = r.method;
          let target = uri;
          switch (r.mutate) {
            case 'username':
              header = curlLikeHeader({ ...a, username: `${a.username}x` }, response);
              break;
            case 'method':
              method = r.method === 'GET' ? 'POST' : 'GET';
              break;
            case 'uri':
              header = curlLikeHeader({ ...a, uri: `${uri}x` }, response);
              break;
            case 'target':
              target = `${uri}x`;
              break;
            case 'nc':
              header = curlLikeHeader({ ...a, nc: flipped(a.nc) }, response);
              break;
            case 'cnonce':
              header = curlLikeHeader({ ...a, cnonce: `${a.cnonce}x` }, response);
              break;
            case 'nonce':
              header = curlLikeHeader({ ...a, nonce: flipped(a.nonce) }, response);
              break;
            case 'response':
              header = curlLikeHeader(a, flipped(response));
              break;
          }
          const outcome = await setupState.send(header, method, target);
          assert.equal(outcome.kind, r.mutate === 'none' ? 'authenticated' : 'challenge', r.mutate);
        },
      ),
      { numRuns: 400 },
    );
  });
});
