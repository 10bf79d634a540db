import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Password hashes with scrypt (node:crypto): a 16-byte random salt, N = 2^15, r = 8, p = 1, a 32-byte
 * key; about 85 ms on a 2-core build machine, which keeps a sign-in under 100 ms while making each guess
 * of a stolen hash cost 32 MiB and that time. The parameters are stored in the hash, so raising them
 * later leaves existing hashes verifiable.
 */
const PARAMETERS = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
/** Refuses a stored hash demanding more than this (a tampered row must not exhaust memory). */
const MAX_MEMORY = 256 * 1024 * 1024;

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const key = await derive(password, salt, PARAMETERS.N, PARAMETERS.r, PARAMETERS.p, KEY_LENGTH);
  return ['scrypt', PARAMETERS.N, PARAMETERS.r, PARAMETERS.p, salt.toString('base64'), key.toString('base64')].join('$');
}

/** True when `password` matches `stored`; the comparison takes the same time wherever they differ. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  const salt = Buffer.from(parts[4] ?? '', 'base64');
  const expected = Buffer.from(parts[5] ?? '', 'base64');
  if (N === undefined || r === undefined || p === undefined || ![N, r, p].every(Number.isSafeInteger) || expected.length === 0)
    return false;
  let key: Buffer;
  try {
    key = await derive(password, salt, N, r, p, expected.length);
  } catch {
    return false;
  }
  return timingSafeEqual(key, expected);
}

/**
 * A hash of a password nobody has, verified when the username is unknown, so that "no such user" takes
 * as long as "wrong password" and the time of an answer does not tell which usernames exist.
 */
export const UNKNOWN_USER_HASH = `scrypt$${PARAMETERS.N}$${PARAMETERS.r}$${PARAMETERS.p}$${Buffer.alloc(SALT_LENGTH).toString('base64')}$${Buffer.alloc(KEY_LENGTH).toString('base64')}`;

function derive(password: string, salt: Buffer, N: number, r: number, p: number, length: number): Promise<Buffer> {
  const options: ScryptOptions = { N, r, p, maxmem: MAX_MEMORY };
  // The callback form runs on libuv's thread pool: a sign-in does not stall the event loop.
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, length, options, (error, key) => (error === null ? resolve(key) : reject(error)));
  });
}

/** A password livelink makes up for a user (the demo's, a fixture's without one): 16 URL-safe characters, 96 random bits. */
export function generatedPassword(): string {
  return randomBytes(12).toString('base64url');
}
