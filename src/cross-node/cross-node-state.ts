import { DEFAULT_THROTTLE_POLICY, MemoryAuthFailureThrottle } from '../http/auth-throttle.js';
import type { AuthFailureThrottle } from '../http/digest/digest-authenticator.js';
import { randomBytes } from 'node:crypto';
import { EPOCH_HEX } from '../http/digest/nonce.js';
import { MemoryReplayGuard, type ReplayGuard } from '../http/digest/replay-guard.js';
import type { OpenedDatabase } from '../persistence/database.js';
import { DatabaseAuthFailureThrottle } from './database-auth-throttle.js';
import { DatabaseReplayGuard } from './database-replay-guard.js';

/**
 * What every node serving one database must agree on between requests. This folder sits above both the
 * edge (whose interfaces these implement) and persistence (whose database the shared ones use), so that
 * neither of those needs to import the other.
 */
export interface CrossNodeState {
  /** The (nonce, nc) pairs already answered: a replay is refused on every node (D-13). */
  replayGuard: ReplayGuard;
  /** Before the first nonce is minted: the shared guard finds its epoch. */
  start(): Promise<void>;
  /** Failed digest answers per (public key, address) (D-21, D-22). */
  digestThrottle: AuthFailureThrottle;
  /** Failed sign-ins of the web pages per (username, address), counted like failed digest answers. */
  loginThrottle: AuthFailureThrottle;
}

/**
 * The one place the dialect decides where that state lives. One process on SQLite keeps it in memory
 * (no write per request); nodes sharing PostgreSQL must see each other's, so there it is in the database.
 */
export function crossNodeState(database: OpenedDatabase, now: () => number): CrossNodeState {
  if (database.dialect === 'postgres') {
    const replayGuard = new DatabaseReplayGuard(database.db, now);
    return {
      replayGuard,
      start: () => replayGuard.start(),
      digestThrottle: new DatabaseAuthFailureThrottle(database.db, DEFAULT_THROTTLE_POLICY, now),
      loginThrottle: new DatabaseAuthFailureThrottle(database.db, DEFAULT_THROTTLE_POLICY, now),
    };
  }
  return {
    // An epoch of this process's own: its records die with it, and so do the nonces it minted, so that a
    // header answered before a restart cannot be answered again after it.
    replayGuard: new MemoryReplayGuard({ now, epoch: randomBytes(EPOCH_HEX / 2).toString('hex') }),
    start: () => Promise.resolve(),
    digestThrottle: new MemoryAuthFailureThrottle(DEFAULT_THROTTLE_POLICY, now),
    loginThrottle: new MemoryAuthFailureThrottle(DEFAULT_THROTTLE_POLICY, now),
  };
}
