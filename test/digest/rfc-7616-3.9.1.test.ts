import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { parseDigestAuthorization } from '../../src/http/digest/authorization-header.js';
import { expectedResponse, ha1Hex, responseMatches } from '../../src/http/digest/digest-response.js';

// RFC 7616 §3.9.1, with the errata 4495 password "Circle of Life" (lower-case "of").
const USER = 'Mufasa';
const PASSWORD = 'Circle of Life';
const REALM = 'http-auth@example.org';
const NONCE = '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v';
const CNONCE = 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ';
const OPAQUE = 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS';
const MD5_RESPONSE = '8ca523f5e9506fed4657c9700eebdbec';
const SHA256_RESPONSE = '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1';

/** The RFC prints the header folded over lines; on the wire it is one line. */
function unfold(text: string): string {
  return text.trim().replace(/\r?\n[ \t]*/g, ' ');
}

const MD5_HEADER = unfold(`
Digest username="Mufasa",
       realm="http-auth@example.org",
       uri="/dir/index.html",
       algorithm=MD5,
       nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
       nc=00000001,
       cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
       qop=auth,
       response="8ca523f5e9506fed4657c9700eebdbec",
       opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
`);

const SHA256_HEADER = unfold(`
Digest username="Mufasa",
       realm="http-auth@example.org",
       uri="/dir/index.html",
       algorithm=SHA-256,
       nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
       nc=00000001,
       cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
       qop=auth,
       response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
       opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
`);

describe('RFC 7616 §3.9.1 example', () => {
  it('parses the MD5 Authorization header to the exact fields', () => {
    assert.deepEqual(parseDigestAuthorization(MD5_HEADER), {
      username: USER,
      realm: REALM,
      nonce: NONCE,
      uri: '/dir/index.html',
      response: MD5_RESPONSE,
      algorithm: 'MD5',
      qop: 'auth',
      nc: '00000001',
      cnonce: CNONCE,
      opaque: OPAQUE,
    });
  });

  it('parses the SHA-256 Authorization header to the exact fields', () => {
    assert.deepEqual(parseDigestAuthorization(SHA256_HEADER), {
      username: USER,
      realm: REALM,
      nonce: NONCE,
      uri: '/dir/index.html',
      response: SHA256_RESPONSE,
      algorithm: 'SHA-256',
      qop: 'auth',
      nc: '00000001',
      cnonce: CNONCE,
      opaque: OPAQUE,
    });
  });

  it('computes the MD5 response 8ca523f5…dbec from the parsed header', () => {
    const credentials = parseDigestAuthorization(MD5_HEADER);
    assert.ok(credentials);
    const ha1 = ha1Hex('MD5', USER, REALM, PASSWORD);
    assert.equal(expectedResponse(credentials, 'GET', ha1), MD5_RESPONSE);
    assert.equal(responseMatches(credentials, 'GET', ha1), true);
  });

  it('computes the SHA-256 response 753927fa…b6c1 from the parsed header', () => {
    const credentials = parseDigestAuthorization(SHA256_HEADER);
    assert.ok(credentials);
    const ha1 = ha1Hex('SHA-256', USER, REALM, PASSWORD);
    assert.equal(expectedResponse(credentials, 'GET', ha1), SHA256_RESPONSE);
    assert.equal(responseMatches(credentials, 'GET', ha1), true);
  });

  it('does not reproduce the vector with the pre-errata password "Circle Of Life"', () => {
    const credentials = parseDigestAuthorization(MD5_HEADER);
    assert.ok(credentials);
    const wrong = expectedResponse(credentials, 'GET', ha1Hex('MD5', USER, REALM, 'Circle Of Life'));
    assert.notEqual(wrong, MD5_RESPONSE);
    assert.equal(responseMatches(credentials, 'GET', ha1Hex('MD5', USER, REALM, 'Circle Of Life')), false);
  });

  it('is sensitive to the method: POST does not give the GET response', () => {
    const credentials = parseDigestAuthorization(MD5_HEADER);
    assert.ok(credentials);
    assert.notEqual(expectedResponse(credentials, 'POST', ha1Hex('MD5', USER, REALM, PASSWORD)), MD5_RESPONSE);
  });
});
