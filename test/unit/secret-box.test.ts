import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { SecretBox, SecretBoxError } from '../../src/crypto/secret-box.js';

describe('SecretBox', () => {
  const k1 = randomBytes(32);
  const k2 = randomBytes(32);

  it('opens what it sealed, with the same binding', () => {
    const box = new SecretBox([k1]);
    const sealed = box.seal('a secret', 'api_keys|1|org');
    assert.match(sealed, /^v1\.[A-Za-z0-9_-]{8}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    assert.ok(!sealed.includes('a secret'));
    assert.equal(box.open(sealed, 'api_keys|1|org'), 'a secret');
  });

  it('refuses a value moved to another row, with a controlled error', () => {
    const box = new SecretBox([k1]);
    const sealed = box.seal('a secret', 'api_keys|1|org');
    assert.throws(() => box.open(sealed, 'api_keys|2|org'), SecretBoxError);
    assert.throws(() => box.open('garbage', 'x'), SecretBoxError);
    // Flip the first character of the ciphertext: all six of its bits are data (a last character may be padding bits).
    const parts = sealed.split('.');
    const ciphertext = parts[3] as string;
    parts[3] = (ciphertext[0] === 'A' ? 'B' : 'A') + ciphertext.slice(1);
    assert.throws(() => box.open(parts.join('.'), 'api_keys|1|org'), SecretBoxError);
  });

  it('opens values sealed with an older key after rotation, and seals with the newest', () => {
    const sealedWithOld = new SecretBox([k1]).seal('old', 'b');
    const rotated = new SecretBox([k2, k1]);
    assert.equal(rotated.open(sealedWithOld, 'b'), 'old');
    assert.throws(() => new SecretBox([k2]).open(sealedWithOld, 'b'), SecretBoxError);
    assert.equal(new SecretBox([k2]).open(rotated.seal('new', 'b'), 'b'), 'new');
  });

  it('refuses a key that is not 32 bytes', () => {
    assert.throws(() => new SecretBox([randomBytes(16)]), TypeError);
    assert.throws(() => new SecretBox([]), TypeError);
  });
});
