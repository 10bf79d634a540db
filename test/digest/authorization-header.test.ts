import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { parseDigestAuthorization } from '../../src/http/digest/authorization-header.js';
import type { DigestAlgorithm, DigestCredentials } from '../../src/http/digest/authorization-header.js';
import { CLIENT_SHAPES } from './client-side.js';
import type { ShapeFields } from './client-side.js';

const FIELDS: ShapeFields = {
  username: 'abcdefgh',
  realm: 'MMS Public API',
  nonce: '0123456789abcdefABCDEF0123456789',
  uri: '/api/public/v1.0/orgs/5e2211c17a3e5a48f5497de3/liveExport/migrationLink/status?pretty=true',
  response: '0123456789abcdef0123456789abcdef',
  nc: '00000002',
  cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
};

const BASE: DigestCredentials = {
  username: FIELDS.username,
  realm: FIELDS.realm,
  nonce: FIELDS.nonce,
  uri: FIELDS.uri,
  response: FIELDS.response,
  algorithm: 'MD5',
  qop: 'auth',
  nc: FIELDS.nc,
  cnonce: FIELDS.cnonce,
  opaque: undefined,
};

const GOOD =
  'Digest username="u", realm="MMS Public API", nonce="n", uri="/x", response="0123456789abcdef0123456789abcdef", qop=auth, nc=00000001, cnonce="c"';

describe('parseDigestAuthorization: real client shapes', () => {
  for (const [client, shape] of Object.entries(CLIENT_SHAPES)) {
    it(`parses the ${client} header`, () => {
      const header = shape.build(FIELDS);
      const expected: DigestCredentials = {
        ...BASE,
        uri: shape.uriWithoutQuery ? FIELDS.uri.split('?')[0]! : FIELDS.uri,
        qop: shape.qop ? 'auth' : undefined,
      };
      assert.deepEqual(parseDigestAuthorization(header), expected);
    });
  }

  it('shapes really differ in the ways that matter (quoting, spacing, order)', () => {
    assert.match(CLIENT_SHAPES['curl']!.build(FIELDS), /nc=00000002, qop=auth, response="[0-9a-f]+", algorithm=MD5$/);
    assert.match(CLIENT_SHAPES['go-mongodb-forks-digest']!.build(FIELDS), /algorithm="MD5"/);
    assert.match(CLIENT_SHAPES['mhoc-axios-digest-auth']!.build(FIELDS), /nc="00000002"/);
    assert.doesNotMatch(CLIENT_SHAPES['digest-fetch']!.build(FIELDS), /, /);
    assert.match(CLIENT_SHAPES['needle']!.build(FIELDS), /^Digest uri="/);
  });
});

describe('parseDigestAuthorization: leniency', () => {
  it('accepts a lower-case or upper-case scheme and upper-case parameter names', () => {
    const header =
      'digest USERNAME="u", Realm="MMS Public API", NONCE="n", Uri="/x", RESPONSE="0123456789abcdef0123456789abcdef", QOP=auth, NC=00000001, CNonce="c"';
    assert.deepEqual(parseDigestAuthorization(header), {
      username: 'u',
      realm: 'MMS Public API',
      nonce: 'n',
      uri: '/x',
      response: '0123456789abcdef0123456789abcdef',
      algorithm: 'MD5',
      qop: 'auth',
      nc: '00000001',
      cnonce: 'c',
      opaque: undefined,
    });
    assert.equal(parseDigestAuthorization(GOOD.replace('Digest', 'DIGEST'))?.username, 'u');
  });

  it('normalises the algorithm name whatever its case and quoting', () => {
    const cases: [string, DigestAlgorithm, number][] = [
      ['md5', 'MD5', 32],
      ['"MD5"', 'MD5', 32],
      ['md5-SESS', 'MD5-sess', 32],
      ['sha-256', 'SHA-256', 64],
      ['"SHA-256-SESS"', 'SHA-256-sess', 64],
    ];
    for (const [text, algorithm, length] of cases) {
      const header = GOOD.replace('0123456789abcdef0123456789abcdef', 'a'.repeat(length)) + `, algorithm=${text}`;
      assert.equal(parseDigestAuthorization(header)?.algorithm, algorithm, text);
    }
  });

  it('takes qop and nc quoted, qop in any case', () => {
    const c = parseDigestAuthorization(GOOD.replace('qop=auth', 'qop="AUTH"').replace('nc=00000001', 'nc="0000000A"'));
    assert.equal(c?.qop, 'auth');
    assert.equal(c?.nc, '0000000A');
  });

  it('unescapes backslash escapes in quoted values', () => {
    const c = parseDigestAuthorization(GOOD.replace('username="u"', String.raw`username="a\"b\\c\d"`));
    assert.equal(c?.username, 'a"b\\cd');
  });

  it('allows commas inside quoted values, tabs, extra spaces and empty list elements', () => {
    const c = parseDigestAuthorization(
      `\tDigest\t username = "a, b" ,, realm="MMS Public API",nonce=n,uri="/x?a=1,b=2",response=0123456789abcdef0123456789abcdef,qop=auth,nc=00000001,cnonce=c , `,
    );
    assert.equal(c?.username, 'a, b');
    assert.equal(c?.uri, '/x?a=1,b=2');
    assert.equal(c?.nonce, 'n');
  });

  it('keeps opaque, ignores unknown parameters and userhash=false', () => {
    const c = parseDigestAuthorization(`${GOOD}, opaque="op", charset=UTF-8, userhash=false`);
    assert.equal(c?.opaque, 'op');
    assert.equal(c?.username, 'u');
  });

  it('accepts the RFC 2069 form and keeps stray nc/cnonce', () => {
    const header = 'Digest username="u", realm="r", nonce="n", uri="/x", response="0123456789abcdef0123456789abcdef"';
    assert.deepEqual(parseDigestAuthorization(header), {
      username: 'u',
      realm: 'r',
      nonce: 'n',
      uri: '/x',
      response: '0123456789abcdef0123456789abcdef',
      algorithm: 'MD5',
      qop: undefined,
      nc: undefined,
      cnonce: undefined,
      opaque: undefined,
    });
    assert.equal(parseDigestAuthorization(`${header}, nc=00000003, cnonce="cc"`)?.nc, '00000003');
  });

  it('accepts an empty realm (present, so not missing)', () => {
    assert.equal(parseDigestAuthorization(GOOD.replace('realm="MMS Public API"', 'realm=""'))?.realm, '');
  });

  it('accepts exactly 4096 characters', () => {
    const padded = `${GOOD}, x="${'p'.repeat(4096 - GOOD.length - 6)}"`;
    assert.equal(padded.length, 4096);
    assert.equal(parseDigestAuthorization(padded)?.username, 'u');
  });
});

describe('parseDigestAuthorization: rejections', () => {
  const rejected: [string, string][] = [
    ['over 4096 characters', `${GOOD}, x="${'p'.repeat(4097 - GOOD.length - 6)}"`],
    ['a duplicated parameter', `${GOOD}, nonce="n"`],
    ['a duplicated parameter in another case', `${GOOD}, Username="v"`],
    ['a duplicated unknown parameter', `${GOOD}, x=1, x=1`],
    ['missing username', GOOD.replace('username="u", ', '')],
    ['empty username', GOOD.replace('username="u"', 'username=""')],
    ['missing realm', GOOD.replace('realm="MMS Public API", ', '')],
    ['missing nonce', GOOD.replace('nonce="n", ', '')],
    ['missing uri', GOOD.replace('uri="/x", ', '')],
    ['missing response', GOOD.replace('response="0123456789abcdef0123456789abcdef", ', '')],
    ['unknown algorithm SHA-512-256', `${GOOD}, algorithm=SHA-512-256`],
    ['unknown algorithm SHA', `${GOOD}, algorithm=SHA`],
    ['qop=auth-int', GOOD.replace('qop=auth', 'qop=auth-int')],
    ['qop list', GOOD.replace('qop=auth', 'qop="auth,auth-int"')],
    ['qop without nc', GOOD.replace(', nc=00000001', '')],
    ['qop without cnonce', GOOD.replace(', cnonce="c"', '')],
    ['qop with empty cnonce', GOOD.replace('cnonce="c"', 'cnonce=""')],
    ['nc of 7 digits', GOOD.replace('nc=00000001', 'nc=0000001')],
    ['nc of 9 digits', GOOD.replace('nc=00000001', 'nc=000000001')],
    ['nc not hex', GOOD.replace('nc=00000001', 'nc=0000000g')],
    ['bad nc even without qop', 'Digest username="u", realm="r", nonce="n", uri="/x", response="0123456789abcdef0123456789abcdef", nc=1'],
    ['MD5 response of 31 hex', GOOD.replace('0123456789abcdef0123456789abcdef', '0123456789abcdef0123456789abcde')],
    ['MD5 response of 64 hex', GOOD.replace('0123456789abcdef0123456789abcdef', 'a'.repeat(64))],
    ['SHA-256 response of 32 hex', `${GOOD}, algorithm=SHA-256`],
    ['response not hex', GOOD.replace('0123456789abcdef0123456789abcdef', 'z123456789abcdef0123456789abcdef')],
    ['userhash=true', `${GOOD}, userhash=true`],
    ['userhash="TRUE"', `${GOOD}, userhash="TRUE"`],
    [
      '-sess without qop',
      'Digest username="u", realm="r", nonce="n", uri="/x", response="0123456789abcdef0123456789abcdef", algorithm=MD5-sess',
    ],
    ['Basic scheme', 'Basic dTpw'],
    ['Bearer scheme with digest-like params', GOOD.replace('Digest', 'Bearer')],
    ['scheme only', 'Digest'],
    ['scheme and spaces only', 'Digest   '],
    ['no space after the scheme', GOOD.replace('Digest ', 'Digest')],
    ['empty string', ''],
    ['unterminated quote', GOOD.replace('cnonce="c"', 'cnonce="c')],
    ['trailing backslash in a quoted value', `${GOOD}, x="a\\`],
    ['text after a quoted value', GOOD.replace('nonce="n"', 'nonce="n"x')],
    ['missing =', GOOD.replace('nonce="n"', 'nonce "n"')],
    ['empty unquoted value', GOOD.replace('nonce="n"', 'nonce=')],
    ['two values without a comma', GOOD.replace('nonce="n", ', 'nonce="n" ')],
  ];
  for (const [why, header] of rejected) {
    it(`returns null for ${why}`, () => {
      assert.equal(parseDigestAuthorization(header), null);
    });
  }
});

// ---- properties --------------------------------------------------------------

const hexChar = fc.constantFrom(...'0123456789abcdefABCDEF');
const hex = (length: number) => fc.string({ unit: hexChar, minLength: length, maxLength: length });

describe('parseDigestAuthorization: properties', () => {
  it('never throws on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => {
        const r = parseDigestAuthorization(s);
        assert.ok(r === null || typeof r === 'object');
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on header-like noise', () => {
    const piece = fc.constantFrom(
      'Digest ',
      'digest ',
      'username',
      'realm',
      'nonce',
      'uri',
      'response',
      'qop',
      'nc',
      'cnonce',
      'algorithm',
      '=',
      '"',
      '\\',
      ',',
      ', ',
      ' ',
      '\t',
      'auth',
      '00000001',
      'MD5',
      'a',
      '0123456789abcdef0123456789abcdef',
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 60 }), (pieces) => {
        const r = parseDigestAuthorization(pieces.join(''));
        assert.ok(r === null || typeof r === 'object');
      }),
      { numRuns: 3000 },
    );
    // Very long inputs are cut off before parsing.
    assert.equal(parseDigestAuthorization(`Digest ${'a='.repeat(100_000)}`), null);
  });

  it('a header built from valid values in any order, quoting and spacing parses back to the same values', () => {
    const algorithmArb = fc.constantFrom<DigestAlgorithm | undefined>(undefined, 'MD5', 'MD5-sess', 'SHA-256', 'SHA-256-sess');
    const text = (minLength: number) => fc.string({ unit: 'binary', minLength, maxLength: 40 });
    const caseOf = fc.constantFrom<(s: string) => string>(
      (s) => s,
      (s) => s.toUpperCase(),
      (s) => s.charAt(0).toUpperCase() + s.slice(1),
    );
    const style = fc.record({ quote: fc.boolean(), escapeAll: fc.boolean(), nameCase: caseOf, valueCase: caseOf });
    const separator = fc.constantFrom(',', ', ', ' , ', ',\t', ',  ', ' ,');

    const scenario = algorithmArb.chain((algorithm) => {
      const responseLength = algorithm?.startsWith('SHA-256') ? 64 : 32;
      const mustQop = algorithm?.endsWith('-sess') ?? false;
      return fc.record({
        algorithm: fc.constant(algorithm),
        username: text(1),
        realm: text(0),
        nonce: text(1),
        uri: text(1),
        response: hex(responseLength),
        qop: mustQop ? fc.constant(true) : fc.boolean(),
        nc: hex(8),
        cnonce: text(1),
        strayNc: fc.boolean(),
        opaque: fc.option(text(0), { nil: undefined }),
        styles: fc.array(style, { minLength: 11, maxLength: 11 }),
        separators: fc.array(separator, { minLength: 11, maxLength: 11 }),
        order: fc.shuffledSubarray([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], { minLength: 11, maxLength: 11 }),
        scheme: fc.constantFrom('Digest ', 'digest ', 'DIGEST\t', 'Digest  ', ' Digest '),
      });
    });

    fc.assert(
      fc.property(scenario, (s) => {
        const withNc = s.qop || s.strayNc;
        const params: [string, string | undefined][] = [
          ['username', s.username],
          ['realm', s.realm],
          ['nonce', s.nonce],
          ['uri', s.uri],
          ['response', s.response],
          ['algorithm', s.algorithm],
          ['qop', s.qop ? 'auth' : undefined],
          ['nc', withNc ? s.nc : undefined],
          ['cnonce', withNc ? s.cnonce : undefined],
          ['opaque', s.opaque],
          ['userhash', 'false'],
        ];
        const rendered: string[] = [];
        for (const index of s.order) {
          const [name, value] = params[index]!;
          if (value === undefined) continue;
          const st = s.styles[index]!;
          // Case only changes names and the case-insensitive values.
          const shown = name === 'algorithm' || name === 'qop' || name === 'userhash' ? st.valueCase(value) : value;
          const canBeBare = /^[^ \t,"]+$/.test(shown);
          const body =
            st.quote || !canBeBare
              ? `"${[...shown].map((ch) => (st.escapeAll || ch === '"' || ch === '\\' ? `\\${ch}` : ch)).join('')}"`
              : shown;
          rendered.push(`${st.nameCase(name)}=${body}`);
        }
        const header = s.scheme + rendered.map((p, i) => (i === 0 ? p : s.separators[i]! + p)).join('');

        assert.deepEqual(parseDigestAuthorization(header), {
          username: s.username,
          realm: s.realm,
          nonce: s.nonce,
          uri: s.uri,
          response: s.response,
          algorithm: s.algorithm ?? 'MD5',
          qop: s.qop ? 'auth' : undefined,
          nc: withNc ? s.nc : undefined,
          cnonce: withNc ? s.cnonce : undefined,
          opaque: s.opaque,
        });
      }),
      { numRuns: 1000 },
    );
  });
});
