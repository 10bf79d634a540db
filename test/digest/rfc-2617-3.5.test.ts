import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { parseDigestAuthorization } from '../../src/http/digest/authorization-header.js';
import { expectedResponse, ha1Hex } from '../../src/http/digest/digest-response.js';

// RFC 2617 §3.5: password "Circle Of Life" (capital O), realm testrealm@host.com.
const HEADER =
  'Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", ' +
  'uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", ' +
  'response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41"';

describe('RFC 2617 §3.5 "Mufasa" example', () => {
  it('has the well-known HA1', () => {
    assert.equal(ha1Hex('MD5', 'Mufasa', 'testrealm@host.com', 'Circle Of Life'), '939e7578ed9e3c518a452acee763bce9');
  });

  it('parses the example header exactly', () => {
    assert.deepEqual(parseDigestAuthorization(HEADER), {
      username: 'Mufasa',
      realm: 'testrealm@host.com',
      nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
      uri: '/dir/index.html',
      response: '6629fae49393a05397450978507c4ef1',
      algorithm: 'MD5',
      qop: 'auth',
      nc: '00000001',
      cnonce: '0a4f113b',
      opaque: '5ccc069c403ebaf9f0171e9517f40e41',
    });
  });

  it('gives the response 6629fae49393a05397450978507c4ef1', () => {
    const credentials = parseDigestAuthorization(HEADER);
    assert.ok(credentials);
    const ha1 = ha1Hex('MD5', 'Mufasa', 'testrealm@host.com', 'Circle Of Life');
    assert.equal(expectedResponse(credentials, 'GET', ha1), '6629fae49393a05397450978507c4ef1');
  });

  it('gives the RFC 2069 form H(HA1:nonce:HA2) when qop is absent', () => {
    const credentials = parseDigestAuthorization(HEADER);
    assert.ok(credentials);
    const ha1 = '939e7578ed9e3c518a452acee763bce9';
    // HA2 = MD5("GET:/dir/index.html") = 39aff3a2bab6126f332b942af96d3366
    // MD5("939e…bce9:dcd98b7102dd2f0e8b11d0f600bfb0c093:39aff3a2bab6126f332b942af96d3366"):
    assert.equal(expectedResponse({ ...credentials, qop: undefined }, 'GET', ha1), '670fd8c2df070c60b045671b8b24ff02');
  });
});
