import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, type Config } from './config.js';

export interface Secrets {
  encryptionKey: Buffer;
  /** Older encryption keys, accepted for opening only (key rotation). */
  previousEncryptionKeys: Buffer[];
  nonceKey: Buffer;
  /** True when the keys came from a generated file rather than the environment: fine locally, not in production. */
  generated: boolean;
}

/**
 * The two keys: from the environment when given (several nodes must share them), else generated once
 * into `<data>/secrets.json` (mode 0600) for a local start. Refuses a short key, and refuses the same
 * key for both purposes.
 */
export function loadSecrets(config: Config): Secrets {
  if (config.encryptionKey !== undefined || config.nonceKey !== undefined) {
    if (config.encryptionKey === undefined || config.nonceKey === undefined) {
      throw new ConfigError('set both LIVELINK_ENCRYPTION_KEY and LIVELINK_NONCE_KEY, or neither (to use generated local keys)');
    }
    const encryptionKey = decodeKey(config.encryptionKey, 'LIVELINK_ENCRYPTION_KEY');
    const nonceKey = decodeKey(config.nonceKey, 'LIVELINK_NONCE_KEY');
    if (encryptionKey.length !== 32) throw new ConfigError('LIVELINK_ENCRYPTION_KEY must decode to exactly 32 bytes');
    if (nonceKey.length < 32) throw new ConfigError('LIVELINK_NONCE_KEY must decode to at least 32 bytes');
    if (encryptionKey.equals(nonceKey.subarray(0, 32)) && nonceKey.length === 32) {
      throw new ConfigError('LIVELINK_ENCRYPTION_KEY and LIVELINK_NONCE_KEY must differ');
    }
    const previousEncryptionKeys = config.previousEncryptionKeys.map((key, i) => {
      const decoded = decodeKey(key, `LIVELINK_PREVIOUS_ENCRYPTION_KEYS entry ${i + 1}`);
      if (decoded.length !== 32) throw new ConfigError(`LIVELINK_PREVIOUS_ENCRYPTION_KEYS entry ${i + 1} must decode to exactly 32 bytes`);
      return decoded;
    });
    return { encryptionKey, previousEncryptionKeys, nonceKey, generated: false };
  }
  if (config.databaseUrl !== undefined) {
    // Keys generated into one machine's data folder would leave every other node unable to read the
    // shared database or to verify the first node's nonces.
    throw new ConfigError(
      'with --database-url, set LIVELINK_ENCRYPTION_KEY and LIVELINK_NONCE_KEY: every node sharing the database needs the same keys',
    );
  }
  const file = join(config.dataDir, 'secrets.json');
  if (!existsSync(file)) {
    mkdirSync(config.dataDir, { recursive: true });
    const fresh = { encryptionKey: randomBytes(32).toString('base64'), nonceKey: randomBytes(32).toString('base64') };
    writeFileSync(file, `${JSON.stringify(fresh, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  }
  let parsed: { encryptionKey?: unknown; nonceKey?: unknown };
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as typeof parsed;
  } catch (cause) {
    throw new ConfigError(`${file} is not valid JSON`, { cause });
  }
  if (typeof parsed.encryptionKey !== 'string' || typeof parsed.nonceKey !== 'string') {
    throw new ConfigError(`${file} must hold encryptionKey and nonceKey`);
  }
  return {
    encryptionKey: decodeKey(parsed.encryptionKey, `${file} encryptionKey`),
    previousEncryptionKeys: [],
    nonceKey: decodeKey(parsed.nonceKey, `${file} nonceKey`),
    generated: true,
  };
}

function decodeKey(value: string, name: string): Buffer {
  const key = /^[0-9a-fA-F]+$/.test(value) && value.length % 2 === 0 ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
  if (key.length < 32) throw new ConfigError(`${name} must be at least 32 bytes (base64 or hex)`);
  return key;
}
