import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeLinkToken, encodeLinkToken, LinkTokenFormatError } from '../../src/features/link-tokens/link-token-codec.js';

// The fake example of public-api.md §6.1, byte for byte.
const EXAMPLE = {
  orgId: '5f1a2b3c4d5e6f7a8b9c0d1e',
  orgName: 'Example Org',
  privateApiKey: '11111111-2222-3333-4444-555555555555',
  publicApiKey: 'abcdefgh',
};
const EXAMPLE_TOKEN =
  'eyJvcmdJZCI6IjVmMWEyYjNjNGQ1ZTZmN2E4YjljMGQxZSIsIm9yZ05hbWUiOiJFeGFtcGxlIE9yZyIsInByaXZhdGVBcGlLZXkiOiIxMTExMTExMS0yMjIyLTMzMzMtNDQ0NC01NTU1NTU1NTU1NTUiLCJwdWJsaWNBcGlLZXkiOiJhYmNkZWZnaCJ9';

describe('the link-token format', () => {
  it('encodes the reference example exactly', () => {
    assert.equal(encodeLinkToken(EXAMPLE), EXAMPLE_TOKEN);
  });

  it('decodes the reference example', () => {
    assert.deepEqual(decodeLinkToken(EXAMPLE_TOKEN), EXAMPLE);
    assert.deepEqual(decodeLinkToken(`\n  ${EXAMPLE_TOKEN} \t`), EXAMPLE);
  });

  it('round-trips any valid contents', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-f0-9]{24}$/),
        fc.string({ minLength: 1, maxLength: 64 }),
        fc.uuid(),
        fc.stringMatching(/^[a-z]{8}$/),
        (orgId, orgName, privateApiKey, publicApiKey) => {
          const contents = { orgId, orgName, privateApiKey, publicApiKey };
          assert.deepEqual(decodeLinkToken(encodeLinkToken(contents)), contents);
        },
      ),
    );
  });

  it('never throws anything but a LinkTokenFormatError, whatever the input', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.base64String(),
          fc.json().map((j) => Buffer.from(j).toString('base64')),
        ),
        (input) => {
          try {
            decodeLinkToken(input);
          } catch (error) {
            assert.ok(error instanceof LinkTokenFormatError, String(error));
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('never repeats the token or its private key in a refusal', () => {
    const token = Buffer.from(JSON.stringify({ ...EXAMPLE, extra: 1 })).toString('base64');
    assert.throws(
      () => decodeLinkToken(token),
      (error: Error) => !error.message.includes(EXAMPLE.privateApiKey) && !error.message.includes(token),
    );
  });
});
