import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { DIGEST_REALM, digestChallenge } from '../../src/http/digest/challenge.js';

/**
 * A re-implementation of the strict challenge parsing of
 * github.com/mongodb-forks/digest (D-05): starts with exactly "Digest ",
 * split on exactly ", ", only known parameters.
 */
function goClientAccepts(challenge: string): Map<string, string> | null {
  if (!challenge.startsWith('Digest ')) return null;
  const allowed = new Set(['realm', 'domain', 'nonce', 'opaque', 'stale', 'algorithm', 'qop']);
  const out = new Map<string, string>();
  for (const part of challenge.slice('Digest '.length).split(', ')) {
    const eq = part.indexOf('=');
    if (eq < 0) return null;
    const key = part.slice(0, eq);
    if (!allowed.has(key)) return null;
    out.set(key, part.slice(eq + 1).replace(/^"(.*)"$/, '$1'));
  }
  const qop = out.get('qop');
  if (qop !== undefined && qop !== 'auth') return null;
  return out;
}

describe('digestChallenge', () => {
  it('has the Ops Manager realm', () => {
    assert.equal(DIGEST_REALM, 'MMS Public API');
  });

  it('gives the exact bytes with stale=false', () => {
    assert.equal(
      digestChallenge('0123456789abcdefABCDEF', false),
      'Digest realm="MMS Public API", domain="", nonce="0123456789abcdefABCDEF", algorithm=MD5, qop="auth", stale=false',
    );
  });

  it('gives the exact bytes with stale=true', () => {
    assert.equal(
      digestChallenge('abc123', true),
      'Digest realm="MMS Public API", domain="", nonce="abc123", algorithm=MD5, qop="auth", stale=true',
    );
  });

  it('passes the Go client strict parser', () => {
    const parsed = goClientAccepts(digestChallenge('n0nce', false));
    assert.deepEqual(parsed && Object.fromEntries(parsed), {
      realm: 'MMS Public API',
      domain: '',
      nonce: 'n0nce',
      algorithm: 'MD5',
      qop: 'auth',
      stale: 'false',
    });
  });

  it('refuses a nonce that is empty or not alphanumeric', () => {
    for (const bad of ['', 'a=b', 'a", qop="auth-int', 'a/b', 'a b', 'a\r\nX: y', 'é']) {
      assert.throws(() => digestChallenge(bad, false), TypeError, JSON.stringify(bad));
    }
  });
});
