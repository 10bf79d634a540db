import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Seals the secrets the server must read back (digest HA1 values, a source's link-token) with
 * AES-256-GCM. The associated data binds a sealed value to the row it belongs to, so a value copied
 * into another row does not open. Each value records the id of its key, so keys can rotate.
 *
 * Format: `v1.<keyId>.<iv>.<ciphertext>.<tag>`, base64url parts.
 */
export class SecretBox {
  readonly #keys: Map<string, Buffer>;
  readonly #currentKeyId: string;

  /** `keys`: the current key first, then older ones still accepted for opening. */
  constructor(keys: readonly Buffer[]) {
    const [current] = keys;
    if (current === undefined) throw new TypeError('SecretBox needs at least one key');
    for (const key of keys) {
      if (key.length !== 32) throw new TypeError('an encryption key must be exactly 32 bytes');
    }
    this.#keys = new Map(keys.map((key) => [keyIdOf(key), key]));
    this.#currentKeyId = keyIdOf(current);
  }

  seal(plaintext: string, binding: string): string {
    const key = this.#keys.get(this.#currentKeyId) as Buffer;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(binding, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', this.#currentKeyId, b64(iv), b64(ciphertext), b64(cipher.getAuthTag())].join('.');
  }

  /** True when `sealed` was sealed with a key other than the current one (key rotation re-seals it). */
  isStale(sealed: string): boolean {
    return sealed.split('.')[1] !== this.#currentKeyId;
  }

  /** Opens a sealed value; throws SecretBoxError (never a crypto internals error) when it cannot. */
  open(sealed: string, binding: string): string {
    const [version, keyId, iv, ciphertext, tag] = sealed.split('.');
    if (version !== 'v1' || keyId === undefined || iv === undefined || ciphertext === undefined || tag === undefined) {
      throw new SecretBoxError('sealed value has an unknown format');
    }
    const key = this.#keys.get(keyId);
    if (key === undefined) throw new SecretBoxError(`sealed with key ${keyId}, which is not configured`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(binding, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    } catch (cause) {
      throw new SecretBoxError('sealed value does not open with its key and binding', { cause });
    }
  }
}

export class SecretBoxError extends Error {
  override readonly name = 'SecretBoxError';
}

/** A key's id is a short digest of it: stable, and reveals nothing usable. */
function keyIdOf(key: Buffer): string {
  return createHash('sha256').update('livelink-key-id').update(key).digest('base64url').slice(0, 8);
}

function b64(buffer: Buffer): string {
  return buffer.toString('base64url');
}
