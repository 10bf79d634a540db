import type { ApiKey } from './api-key.js';

/** A stored key with its sealed digest secret (opened only by the ApiKeyService). */
export interface StoredApiKey {
  apiKey: ApiKey;
  sealedDigestSecret: string;
}

export interface ApiKeyStore {
  create(apiKey: ApiKey, sealedDigestSecret: string): Promise<void>;
  findByPublicKey(publicKey: string): Promise<StoredApiKey | undefined>;
  get(id: string): Promise<ApiKey | undefined>;
  list(orgId: string | null): Promise<ApiKey[]>;
  delete(id: string): Promise<boolean>;
  setAccessList(id: string, entries: readonly string[]): Promise<void>;
}
