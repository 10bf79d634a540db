import type { MigrationHostKey } from './migration-host-key.js';

/**
 * Storage of the binding between a migration host row and its API key. The rows themselves belong to
 * the organizations feature (OrganizationStore adds and removes them); this store reads them and sets
 * their key. Absent hosts are `undefined` (or `false` for a change), never an error.
 */
export interface MigrationHostKeyStore {
  find(projectId: string, hostname: string): Promise<MigrationHostKey | undefined>;
  /** The host `apiKeyId` is bound to. */
  findByApiKey(apiKeyId: string): Promise<MigrationHostKey | undefined>;
  /** Binds the key to the host, only if the host has none: false when it has one already, or is gone. */
  bindKey(hostId: string, apiKeyId: string): Promise<boolean>;
}
