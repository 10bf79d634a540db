/** A signed-in browser, as stored: the id itself is never stored, only its SHA-256. */
export interface WebSession {
  userId: string;
  /** The synchronizer token every state-changing form of the session carries. */
  csrfToken: string;
  createdAtMs: number;
  expiresAtMs: number;
}

/** Storage of web sessions, keyed by the SHA-256 (hex) of the session id. */
export interface SessionStore {
  insert(idHash: string, session: WebSession): Promise<void>;
  find(idHash: string): Promise<WebSession | undefined>;
  setExpiry(idHash: string, expiresAtMs: number): Promise<void>;
  delete(idHash: string): Promise<void>;
  /** Removes sessions whose expiry is before `nowMs`. */
  deleteExpired(nowMs: number): Promise<void>;
}
