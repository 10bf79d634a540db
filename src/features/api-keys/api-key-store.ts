import type { ApiKey } from './api-key.js';

/** A stored key with its sealed digest secret (opened only by the ApiKeyService). */
export interface StoredApiKey {
  apiKey: ApiKey;
  sealedDigestSecret: string;
}

/**
 * Storage of API keys and their access lists. Absent keys are `undefined` (or `false` for a change),
 * never an error; a second key with a public key already in use is refused.
 */
export interface ApiKeyStore {
  create(apiKey: ApiKey, sealedDigestSecret: string): Promise<void>;
  findByPublicKey(publicKey: string): Promise<StoredApiKey | undefined>;
  get(id: string): Promise<ApiKey | undefined>;
  list(orgId: string | null): Promise<ApiKey[]>;
  delete(id: string): Promise<boolean>;
  /** Sets the key's description and roles; false when there is no such key. */
  update(id: string, changes: Pick<ApiKey, 'description' | 'roles'>): Promise<boolean>;
  setAccessList(id: string, entries: readonly string[]): Promise<void>;
  /** Every key's sealed digest secret, for re-sealing under a new key. */
  sealedSecrets(): Promise<{ id: string; orgId: string | null; sealedDigestSecret: string }[]>;
  /** Replaces the sealed secret if it is still `current`; false when it changed meanwhile. */
  replaceSealedSecret(id: string, current: string, fresh: string): Promise<boolean>;
}
