import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import type { DigestCredentials } from '../../src/http/digest/authorization-header.js';
import { baseAlgorithm, expectedResponse, ha1Hex, safeEqualHex, uriMatchesRequest } from '../../src/http/digest/digest-response.js';
import { clientResponse } from './client-side.js';
import type { Algorithm } from './client-side.js';

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

describe('safeEqualHex', () => {
  it('compares decoded bytes, case-insensitively', () => {
    assert.equal(safeEqualHex('8ca523f5e9506fed4657c9700eebdbec', '8ca523f5e9506fed4657c9700eebdbec'), true);
    assert.equal(safeEqualHex('8ca523f5e9506fed4657c9700eebdbec', '8CA523F5E9506FED4657C9700EEBDBEC'), true);
    assert.equal(safeEqualHex('8ca523f5e9506fed4657c9700eebdbec', '8ca523f5e9506fed4657c9700eebdbed'), false);
  });

  it('returns false, not a RangeError, for other lengths, odd lengths, non-hex and empty', () => {
    assert.equal(safeEqualHex('8ca523f5e9506fed4657c9700eebdbec', '8ca523f5e9506fed4657c9700eebdb'), false);
    assert.equal(safeEqualHex('8ca523f5e9506fed4657c9700eebdbec', `8ca523f5e9506fed4657c9700eebdbec00`), false);
    assert.equal(safeEqualHex('abc', 'abc'), false);
    assert.equal(safeEqualHex('zz', 'zz'), false);
    assert.equal(safeEqualHex('0g', '0g'), false);
    assert.equal(safeEqualHex('', ''), false);
  });

  it('agrees with plain equality on lower-case hex of equal length', () => {
    const hexArb = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 2, maxLength: 2 });
    fc.assert(
      fc.property(fc.array(hexArb, { minLength: 1, maxLength: 32 }), fc.array(hexArb, { minLength: 1, maxLength: 32 }), (a, b) => {
        const x = a.join('');
        const y = b.join('');
        assert.equal(safeEqualHex(x, y), x === y);
        assert.equal(safeEqualHex(x, x), true);
      }),
    );
  });
});

describe('expectedResponse', () => {
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

  it('maps -sess algorithms to their base hash', () => {
    assert.deepEqual(
      (['MD5', 'MD5-sess', 'SHA-256', 'SHA-256-sess'] as const).map(baseAlgorithm),
      ['MD5', 'MD5', 'SHA-256', 'SHA-256'],
    );
  });

  it('gives known values for MD5-sess and SHA-256-sess', () => {
    // Independently: HA1s = H(H(pub:MMS Public API:priv):abc123:cn), then the qop=auth formula.
    for (const algorithm of ['MD5-sess', 'SHA-256-sess'] as const) {
      const c = { ...base, algorithm };
      const ha1 = ha1Hex(baseAlgorithm(algorithm), 'pub', 'MMS Public API', 'priv');
      assert.equal(
        expectedResponse(c, 'GET', ha1),
        clientResponse({ username: 'pub', password: 'priv', realm: 'MMS Public API', method: 'GET', uri: '/x?y=1', nonce: 'abc123', algorithm, qop: 'auth', nc: '00000001', cnonce: 'cn' }),
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
          const c: DigestCredentials = { ...base, username: a.username, realm: a.realm, uri: a.uri, nonce: a.nonce, algorithm: a.algorithm, qop: a.qop, nc: a.nc, cnonce: a.cnonce };
          const ha1 = ha1Hex(baseAlgorithm(a.algorithm), a.username, a.realm, a.password);
          assert.equal(expectedResponse(c, a.method, ha1), clientResponse(a));
        },
      ),
      { numRuns: 500 },
    );
  });
});
