import { createHash, randomBytes } from 'node:crypto';
import type { SessionStore, WebSession } from './session-store.js';

/** A session unused this long ends; each use moves the end forward (sliding expiry). */
export const SESSION_IDLE_MS = 8 * 60 * 60 * 1000;
/** However much it is used, a session ends this long after sign-in. */
export const SESSION_MAX_MS = 24 * 60 * 60 * 1000;
/** The expiry is rewritten at most this often per session, not on every request. */
const EXTEND_EVERY_MS = 60_000;
const SWEEP_EVERY_MS = 10 * 60_000;

/** 32 random bytes in base64url: what a session id and a CSRF token look like. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export function isToken(value: string): boolean {
  return TOKEN_PATTERN.test(value);
}

export function sessionIdHash(id: string): string {
  return createHash('sha256').update(id).digest('hex');
}

/**
 * Sign-in sessions of the web pages. The id goes to the browser once, in a cookie; the database keeps
 * its SHA-256, so a copy of the database does not let anyone act as a signed-in user.
 */
export class SessionService {
  #lastSweepMs = 0;

  constructor(
    private readonly store: SessionStore,
    private readonly now: () => number,
  ) {}

  async start(userId: string): Promise<{ id: string; session: WebSession }> {
    const now = this.now();
    const id = newToken();
    const session: WebSession = { userId, csrfToken: newToken(), createdAtMs: now, expiresAtMs: now + SESSION_IDLE_MS };
    await this.store.insert(sessionIdHash(id), session);
    await this.#sweep(now);
    return { id, session };
  }

  /** The live session of this id, its expiry moved forward; undefined when unknown or expired. */
  async resolve(id: string): Promise<WebSession | undefined> {
    if (!isToken(id)) return undefined;
    const idHash = sessionIdHash(id);
    const session = await this.store.find(idHash);
    if (session === undefined) return undefined;
    const now = this.now();
    const ceiling = session.createdAtMs + SESSION_MAX_MS;
    if (now >= session.expiresAtMs || now >= ceiling) {
      await this.store.delete(idHash);
      return undefined;
    }
    const slid = Math.min(now + SESSION_IDLE_MS, ceiling);
    if (slid - session.expiresAtMs >= EXTEND_EVERY_MS) {
      await this.store.setExpiry(idHash, slid);
      return { ...session, expiresAtMs: slid };
    }
    return session;
  }

  async end(id: string): Promise<void> {
    if (isToken(id)) await this.store.delete(sessionIdHash(id));
  }

  async #sweep(now: number): Promise<void> {
    if (now - this.#lastSweepMs < SWEEP_EVERY_MS) return;
    this.#lastSweepMs = now;
    await this.store.deleteExpired(now);
  }
}
