import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import type { DigestCredentials } from '../../src/http/digest/authorization-header.js';
import { baseAlgorithm, expectedResponse, ha1Hex, responseMatches, uriMatchesRequest } from '../../src/http/digest/digest-response.js';
import { clientResponse } from './client-side.js';
import type { Algorithm } from './client-side.js';

/** A qop=auth MD5 answer; tests vary one field at a time. */
const base: DigestCredentials = {
  username: 'pub',
  realm: 'MMS Public API',
  nonce: 'abc123',
  uri: '/x?y=1',
  response: '',
  algorithm: 'MD5',
  qop: 'auth',
  nc: '00000001',
  cnonce: 'cn',
  opaque: undefined,
};

describe('uriMatchesRequest', () => {
  const target = '/api/public/v1.0/orgs/abc/liveExport/migrationLink/status?pretty=true&envelope=false';
  const path = '/api/public/v1.0/orgs/abc/liveExport/migrationLink/status';
  const cases: [string, string, boolean][] = [
    [target, target, true],
    [path, target, true], // @mhoc leaves the query out
    [path, path, true],
    [`https://ops.example.com${target}`, target, true],
    [`http://ops.example.com:8080${path}`, path, true],
    ['https://ops.example.com', '/', true],
    ['https://ops.example.com?x=1', '/?x=1', true],
    [`https://ops.example.com${path}`, target, false], // absolute form must carry the query
    [`${path}?pretty=false`, target, false],
    [`${path}?pretty=true`, target, false],
    [`${path}/`, path, false],
    ['/api/public/v1.0/orgs/abc/liveExport/migrationLink', target, false],
    [path.toUpperCase(), path, false],
    [`${path}?`, path, false],
    ['', target, false],
    ['*', target, false],
    [`//ops.example.com${path}`, path, false],
  ];
  for (const [uri, request, expected] of cases) {
    it(`${JSON.stringify(uri)} vs ${JSON.stringify(request)} → ${expected}`, () => {
      assert.equal(uriMatchesRequest(uri, request), expected);
    });
  }
});

describe('expectedResponse', () => {
  it('maps -sess algorithms to their base hash', () => {
    assert.deepEqual((['MD5', 'MD5-sess', 'SHA-256', 'SHA-256-sess'] as const).map(baseAlgorithm), ['MD5', 'MD5', 'SHA-256', 'SHA-256']);
  });

  it('gives known values for MD5-sess and SHA-256-sess', () => {
    // Independently: HA1s = H(H(pub:MMS Public API:priv):abc123:cn), then the qop=auth formula.
    for (const algorithm of ['MD5-sess', 'SHA-256-sess'] as const) {
      const c = { ...base, algorithm };
      const ha1 = ha1Hex(baseAlgorithm(algorithm), 'pub', 'MMS Public API', 'priv');
      assert.equal(
        expectedResponse(c, 'GET', ha1),
        clientResponse({
          username: 'pub',
          password: 'priv',
          realm: 'MMS Public API',
          method: 'GET',
          uri: '/x?y=1',
          nonce: 'abc123',
          algorithm,
          qop: 'auth',
          nc: '00000001',
          cnonce: 'cn',
        }),
      );
    }
  });

  it('accepts an upper-case stored HA1', () => {
    const ha1 = ha1Hex('MD5', 'pub', 'MMS Public API', 'priv');
    assert.equal(expectedResponse(base, 'GET', ha1.toUpperCase()), expectedResponse(base, 'GET', ha1));
  });

  it('matches an independent calculator for random inputs (UTF-8 included)', () => {
    const text = fc.string({ unit: 'binary', maxLength: 30 });
    fc.assert(
      fc.property(
        fc.record({
          username: text,
          password: text,
          realm: text,
          method: fc.constantFrom('GET', 'POST', 'DELETE', 'get'),
          uri: text,
          nonce: text,
          algorithm: fc.constantFrom<Algorithm>('MD5', 'MD5-sess', 'SHA-256', 'SHA-256-sess'),
          qop: fc.constantFrom<'auth' | undefined>('auth', undefined),
          nc: fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 8, maxLength: 8 }),
          cnonce: text,
        }),
        (a) => {
          const c: DigestCredentials = {
            ...base,
            username: a.username,
            realm: a.realm,
            uri: a.uri,
            nonce: a.nonce,
            algorithm: a.algorithm,
            qop: a.qop,
            nc: a.nc,
            cnonce: a.cnonce,
          };
          const ha1 = ha1Hex(baseAlgorithm(a.algorithm), a.username, a.realm, a.password);
          assert.equal(expectedResponse(c, a.method, ha1), clientResponse(a));
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('responseMatches', () => {
  const ha1 = (algorithm: Algorithm) => ha1Hex(baseAlgorithm(algorithm), 'pub', 'MMS Public API', 'priv');

  it('accepts the right response in either case and refuses a changed digit, a wrong length and non-hex', () => {
    for (const algorithm of ['MD5', 'MD5-sess', 'SHA-256', 'SHA-256-sess'] as const) {
      const c = { ...base, algorithm };
      const right = expectedResponse(c, 'GET', ha1(algorithm));
      assert.equal(responseMatches({ ...c, response: right }, 'GET', ha1(algorithm)), true, algorithm);
      assert.equal(responseMatches({ ...c, response: right.toUpperCase() }, 'GET', ha1(algorithm)), true, algorithm);
      const flipped = `${right.slice(0, -1)}${right.endsWith('0') ? '1' : '0'}`;
      assert.equal(responseMatches({ ...c, response: flipped }, 'GET', ha1(algorithm)), false, algorithm);
      assert.equal(responseMatches({ ...c, response: right.slice(0, -2) }, 'GET', ha1(algorithm)), false, algorithm);
      assert.equal(responseMatches({ ...c, response: `${right}00` }, 'GET', ha1(algorithm)), false, algorithm);
      // Buffer.from(…, 'hex') stops at the first non-hex character: the check must not be fooled by that.
      assert.equal(responseMatches({ ...c, response: `${right.slice(0, -2)}zz` }, 'GET', ha1(algorithm)), false, algorithm);
      assert.equal(responseMatches({ ...c, response: '' }, 'GET', ha1(algorithm)), false, algorithm);
    }
  });

  it('agrees with comparing expectedResponse, for random inputs and responses', () => {
    const text = fc.string({ unit: 'binary', maxLength: 30 });
    fc.assert(
      fc.property(
        text,
        fc.constantFrom('GET', 'POST', 'DELETE'),
        fc.constantFrom<Algorithm>('MD5', 'MD5-sess', 'SHA-256', 'SHA-256-sess'),
        fc.constantFrom<'auth' | undefined>('auth', undefined),
        fc.option(fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEFxz'), maxLength: 66 }), { nil: undefined }),
        (uri, method, algorithm, qop, presented) => {
          const c = { ...base, uri, algorithm, qop };
          const right = expectedResponse(c, method, ha1(algorithm));
          const response = presented ?? right;
          // The plain statement of what responseMatches decides: the same hex digits, in either case.
          assert.equal(responseMatches({ ...c, response }, method, ha1(algorithm)), response.toLowerCase() === right);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('gives the same answers when HA2 comes from its cache and after the cache starts over', () => {
    // 1,500 distinct request lines, twice: more than the cache holds, so it fills, starts over and refills.
    for (let round = 0; round < 2; round += 1) {
      for (let i = 0; i < 1500; i += 1) {
        const c = { ...base, uri: `/api/public/v1.0/orgs/${i}` };
        const response = clientResponse({
          username: 'pub',
          password: 'priv',
          realm: 'MMS Public API',
          method: 'GET',
          uri: c.uri,
          nonce: c.nonce,
          algorithm: 'MD5',
          qop: 'auth',
          nc: '00000001',
          cnonce: 'cn',
        });
        assert.equal(responseMatches({ ...c, response }, 'GET', ha1('MD5')), true);
        assert.equal(responseMatches({ ...c, response }, 'POST', ha1('MD5')), false);
      }
    }
  });
});
