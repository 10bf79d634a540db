import { randomBytes } from 'node:crypto';

/**
 * A 24-hex-digit id shaped like a MongoDB ObjectId (seconds, then random bytes), as Ops Manager ids are.
 * `now` is the program's clock (shared/clock.ts), so ids follow the rehearsal clock like every timestamp.
 */
export function newObjectId(now: Date): string {
  const seconds = Math.floor(now.getTime() / 1000)
    .toString(16)
    .padStart(8, '0');
  return seconds + randomBytes(8).toString('hex');
}

export const OBJECT_ID_PATTERN = /^[a-f0-9]{24}$/;

export function isObjectId(value: string): boolean {
  return OBJECT_ID_PATTERN.test(value);
}
