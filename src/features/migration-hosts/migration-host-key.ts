/**
 * A migration host as its own key sees it: the host row of a source project (livelink migration-host
 * add) and the API key bound to it, the one key that may fetch and report that host's jobs.
 */
export interface MigrationHostKey {
  hostId: string;
  projectId: string;
  hostname: string;
  /** The host's own API key (role ORG_MIGRATION_HOST); null when it has none (made before keys were, or deleted). */
  apiKeyId: string | null;
}
