import { randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import type { SecretBox } from '../../crypto/secret-box.js';
import { DIGEST_REALM } from '../../http/digest/challenge.js';
import type { DigestSecrets } from '../../http/digest/digest-authenticator.js';
import { ha1Hex } from '../../http/digest/digest-response.js';
import { newObjectId } from '../../shared/ids.js';
import type { WriteTransaction } from '../../persistence/write-transaction.js';
import { apiErrors } from '../../http/api-error.js';
import type { AuditStore } from '../audit/audit-store.js';
import { accessListEntryIdentity, canonicalAccessListEntry } from '../../shared/access-list.js';
import {
  MIGRATION_HOST_ROLE,
  PRIVATE_KEY_PATTERN,
  PRIVATE_KEY_SHAPE,
  PUBLIC_KEY_PATTERN,
  PUBLIC_KEY_SHAPE,
  type ApiKey,
  type Role,
} from './api-key.js';
import type { ApiKeyStore } from './api-key-store.js';

/** What the API-key service uses in a write transaction; a caller's transaction may lend it its own (createIn). */
export interface ApiKeyWrites {
  apiKeys: ApiKeyStore;
  audit: AuditStore;
}

export interface NewApiKey {
  orgId: string | null;
  description: string;
  roles: Role[];
  accessList: readonly string[];
  /** A key pair chosen by the caller (a fixture's), instead of a generated one. */
  given?: GivenKeyPair;
  /** The id to give the key (a fixture's), else a new one. */
  id?: string;
}

/** A public and private key given rather than generated: shaped as Ops Manager's (see api-key.ts). */
export interface GivenKeyPair {
  publicKey: string;
  privateKey: string;
}

export interface CreatedApiKey {
  apiKey: ApiKey;
  /** Shown once, at creation; livelink keeps only sealed digest secrets derived from it. */
  privateKey: string;
}

/** What an organization's Owner may change of a key (Ops Manager's "Update One"); what is absent stays. */
export interface ApiKeyChanges {
  description?: string;
  roles?: Role[];
}

export interface AuthenticationRecord {
  apiKey: ApiKey;
  secrets: DigestSecrets;
}

/** How long a key looked up for authentication may be reused: a revoked key stops working within this. */
const LOOKUP_CACHE_MS = 1000;

export class ApiKeyService {
  readonly #lookupCache = new Map<string, { record: AuthenticationRecord; until: number }>();

  constructor(
    private readonly store: ApiKeyStore,
    private readonly transaction: WriteTransaction<ApiKeyWrites>,
    private readonly secretBox: SecretBox,
    private readonly now: () => number,
  ) {}

  /**
   * Creates a key with the stores of the caller's transaction (`writes`), so that a key made for a
   * link-token exists exactly when the token does.
   */
  async createIn(writes: ApiKeyWrites, request: NewApiKey): Promise<CreatedApiKey> {
    const accessList = request.accessList.map((entry) => {
      const canonical = canonicalAccessListEntry(entry);
      if (canonical === undefined)
        throw apiErrors.invalidAttribute('accessList', `${JSON.stringify(entry)} is not an IP address or CIDR block.`);
      return canonical;
    });
    if (request.given !== undefined) checkGivenKeyPair(request.given);
    const privateKey = request.given?.privateKey ?? randomUUID();
    const apiKey: ApiKey = {
      id: request.id ?? newObjectId(new Date(this.now())),
      publicKey: request.given?.publicKey ?? newPublicKey(),
      orgId: request.orgId,
      description: request.description,
      roles: [...request.roles],
      accessList,
      createdAt: new Date(this.now()).toISOString(),
    };
    await writes.apiKeys.create(apiKey, this.#sealedSecrets(apiKey, privateKey));
    if (apiKey.orgId !== null) {
      await writes.audit.append({
        orgId: apiKey.orgId,
        eventType: 'API_KEY_CREATED',
        details: { publicKey: apiKey.publicKey, roles: apiKey.roles.join(',') },
        createdAt: new Date(this.now()).toISOString(),
      });
    }
    return { apiKey, privateKey };
  }

  create(request: NewApiKey): Promise<CreatedApiKey> {
    return this.transaction((writes) => this.createIn(writes, request));
  }

  /** Deletes a key with the stores of the caller's transaction (see createIn). */
  async deleteIn(writes: ApiKeyWrites, id: string): Promise<boolean> {
    const key = await writes.apiKeys.get(id);
    const deleted = await writes.apiKeys.delete(id);
    if (key !== undefined) {
      this.#lookupCache.delete(key.publicKey);
      if (deleted && key.orgId !== null) {
        await writes.audit.append({
          orgId: key.orgId,
          eventType: 'API_KEY_DELETED',
          details: { publicKey: key.publicKey },
          createdAt: new Date(this.now()).toISOString(),
        });
      }
    }
    return deleted;
  }

  list(orgId: string | null): Promise<ApiKey[]> {
    return this.store.list(orgId);
  }

  get(id: string): Promise<ApiKey | undefined> {
    return this.store.get(id);
  }

  async findByPublicKey(publicKey: string): Promise<ApiKey | undefined> {
    return (await this.store.findByPublicKey(publicKey))?.apiKey;
  }

  /** Sets the key's description and roles; undefined when there is no such key. */
  async update(id: string, changes: Pick<ApiKey, 'description' | 'roles'>): Promise<ApiKey | undefined> {
    const roles = [...changes.roles];
    return this.transaction(async ({ apiKeys }) => {
      const key = await apiKeys.get(id);
      if (key === undefined) return undefined;
      await apiKeys.update(id, { description: changes.description, roles });
      this.#lookupCache.delete(key.publicKey);
      return { ...key, description: changes.description, roles };
    });
  }

  /** Drops the keys looked up in the last second: for a change made around this service (see OrganizationService.forgetCached). */
  forgetCached(): void {
    this.#lookupCache.clear();
  }

  /** Is `privateKey` the private key of the key with this public key? (Compares digest secrets, in constant time.) */
  async hasPrivateKey(publicKey: string, privateKey: string): Promise<boolean> {
    const stored = await this.store.findByPublicKey(publicKey);
    if (stored === undefined) return false;
    const secrets = JSON.parse(this.secretBox.open(stored.sealedDigestSecret, bindingOf(stored.apiKey))) as DigestSecrets;
    const expected = Buffer.from(secrets['SHA-256'], 'hex');
    const candidate = Buffer.from(ha1Hex('SHA-256', publicKey, DIGEST_REALM, privateKey), 'hex');
    return expected.length === candidate.length && timingSafeEqual(expected, candidate);
  }

  /** Gives the key another private key (a fixture's): the old one stops working at once on this node. */
  async setPrivateKey(publicKey: string, privateKey: string): Promise<boolean> {
    checkGivenKeyPair({ publicKey, privateKey });
    return this.transaction(async ({ apiKeys }) => {
      const stored = await apiKeys.findByPublicKey(publicKey);
      if (stored === undefined) return false;
      this.#lookupCache.delete(publicKey);
      return apiKeys.replaceSealedSecret(stored.apiKey.id, stored.sealedDigestSecret, this.#sealedSecrets(stored.apiKey, privateKey));
    });
  }

  async setAccessList(id: string, entries: readonly string[]): Promise<ApiKey | undefined> {
    const canonical = entries.map((entry) => {
      const value = canonicalAccessListEntry(entry);
      if (value === undefined)
        throw apiErrors.invalidAttribute('accessList', `${JSON.stringify(entry)} is not an IP address or CIDR block.`);
      return value;
    });
    return this.transaction(async ({ apiKeys }) => {
      const key = await apiKeys.get(id);
      if (key === undefined) return undefined;
      await apiKeys.setAccessList(id, canonical);
      this.#lookupCache.delete(key.publicKey);
      return { ...key, accessList: canonical };
    });
  }

  /** The organization's key `id`: API_KEY_NOT_FOUND when it is none, or another organization's. */
  getInOrganization(orgId: string, id: string): Promise<ApiKey> {
    return keyOfOrganization(this.store, orgId, id);
  }

  /** Changes a key of the organization (its description, roles), as its Owner does; they apply from the key's next request. */
  async updateInOrganization(orgId: string, id: string, changes: ApiKeyChanges): Promise<ApiKey> {
    return this.transaction(async ({ apiKeys, audit }) => {
      const key = await keyOfOrganization(apiKeys, orgId, id);
      refuseLiveMigrationKey(key);
      const updated: ApiKey = { ...key, description: changes.description ?? key.description, roles: changes.roles ?? key.roles };
      await apiKeys.update(id, updated);
      this.#lookupCache.delete(key.publicKey);
      const createdAt = new Date(this.now()).toISOString();
      if (updated.description !== key.description) {
        await audit.append({ orgId, eventType: 'API_KEY_DESCRIPTION_CHANGED', details: { publicKey: key.publicKey }, createdAt });
      }
      if (updated.roles.join(',') !== key.roles.join(',')) {
        await audit.append({
          orgId,
          eventType: 'API_KEY_ROLES_CHANGED',
          details: { publicKey: key.publicKey, roles: updated.roles.join(',') },
          createdAt,
        });
      }
      return updated;
    });
  }

  /** Deletes the organization's key `id` (the key making the request included). */
  async deleteFromOrganization(orgId: string, id: string): Promise<void> {
    await this.transaction(async (writes) => {
      refuseLiveMigrationKey(await keyOfOrganization(writes.apiKeys, orgId, id));
      await this.deleteIn(writes, id);
    });
  }

  /**
   * Adds entries (addresses or CIDR blocks, in any spelling canonicalAccessListEntry takes) to a key's
   * access list; entries it has already are left as they are, as Ops Manager does. They apply from the
   * key's next request.
   */
  async addAccessListEntries(orgId: string, id: string, entries: readonly string[]): Promise<ApiKey> {
    const added = entries.map((entry) => {
      const identity = accessListEntryIdentity(entry);
      if (identity === undefined)
        throw apiErrors.invalidAttribute('accessList', `${JSON.stringify(entry)} is not an IP address or CIDR block.`);
      return identity;
    });
    return this.transaction(async ({ apiKeys, audit }) => {
      const key = await keyOfOrganization(apiKeys, orgId, id);
      refuseLiveMigrationKey(key);
      const current = new Set(key.accessList.map((entry) => accessListEntryIdentity(entry) ?? entry));
      const fresh = [...new Set(added)].filter((entry) => !current.has(entry));
      if (fresh.length === 0) return key;
      const accessList = [...key.accessList, ...fresh];
      await apiKeys.setAccessList(id, accessList);
      this.#lookupCache.delete(key.publicKey);
      const createdAt = new Date(this.now()).toISOString();
      for (const entry of fresh) {
        await audit.append({
          orgId,
          eventType: 'API_KEY_ACCESS_LIST_ENTRY_ADDED',
          details: { publicKey: key.publicKey, entry },
          createdAt,
        });
      }
      return (await apiKeys.get(id)) ?? { ...key, accessList };
    });
  }

  /** Removes one entry from a key's access list: API_KEY_ACCESS_LIST_NOT_FOUND when the list does not have it. */
  async removeAccessListEntry(orgId: string, id: string, entry: string): Promise<void> {
    const identity = accessListEntryIdentity(entry);
    await this.transaction(async ({ apiKeys, audit }) => {
      const key = await keyOfOrganization(apiKeys, orgId, id);
      refuseLiveMigrationKey(key);
      const kept = key.accessList.filter((existing) => (accessListEntryIdentity(existing) ?? existing) !== identity);
      if (identity === undefined || kept.length === key.accessList.length) throw apiErrors.apiKeyAccessListEntryNotFound(entry);
      await apiKeys.setAccessList(id, kept);
      this.#lookupCache.delete(key.publicKey);
      await audit.append({
        orgId,
        eventType: 'API_KEY_ACCESS_LIST_ENTRY_DELETED',
        details: { publicKey: key.publicKey, entry: identity },
        createdAt: new Date(this.now()).toISOString(),
      });
    });
  }

  /**
   * Re-seals every digest secret sealed with an older key, one key a transaction, while the service
   * runs: each row is readable with either key until it is re-sealed. Returns how many were re-sealed.
   */
  async resealSecrets(): Promise<number> {
    let resealed = 0;
    for (const { id, orgId, sealedDigestSecret } of await this.store.sealedSecrets()) {
      if (!this.secretBox.isStale(sealedDigestSecret)) continue;
      const binding = bindingOf({ id, orgId });
      const fresh = this.secretBox.seal(this.secretBox.open(sealedDigestSecret, binding), binding);
      await this.transaction(({ apiKeys }) => apiKeys.replaceSealedSecret(id, sealedDigestSecret, fresh));
      resealed += 1;
    }
    return resealed;
  }

  /** The key and its digest secrets, for the authenticator. Cached for at most LOOKUP_CACHE_MS. */
  async findForAuthentication(publicKey: string): Promise<AuthenticationRecord | undefined> {
    const now = this.now();
    const cached = this.#lookupCache.get(publicKey);
    if (cached !== undefined && cached.until > now) return cached.record;
    const stored = await this.store.findByPublicKey(publicKey);
    const record =
      stored === undefined
        ? undefined
        : {
            apiKey: stored.apiKey,
            secrets: JSON.parse(this.secretBox.open(stored.sealedDigestSecret, bindingOf(stored.apiKey))) as DigestSecrets,
          };
    // Only found keys are cached: a key created on another node must work at once.
    if (record !== undefined) {
      if (this.#lookupCache.size > 10_000) this.#lookupCache.clear();
      this.#lookupCache.set(publicKey, { record, until: now + LOOKUP_CACHE_MS });
    }
    return record;
  }

  /** The digest secrets (HA1 of each algorithm) derived from the private key, sealed to the key's row. */
  #sealedSecrets(apiKey: ApiKey, privateKey: string): string {
    const secrets: DigestSecrets = {
      MD5: ha1Hex('MD5', apiKey.publicKey, DIGEST_REALM, privateKey),
      'SHA-256': ha1Hex('SHA-256', apiKey.publicKey, DIGEST_REALM, privateKey),
    };
    return this.secretBox.seal(JSON.stringify(secrets), bindingOf(apiKey));
  }
}

/** Refuses a given pair that Ops Manager could not have issued, with the attribute named. */
function checkGivenKeyPair(pair: GivenKeyPair): void {
  if (!PUBLIC_KEY_PATTERN.test(pair.publicKey)) throw apiErrors.invalidAttribute('publicKey', PUBLIC_KEY_SHAPE);
  if (!PRIVATE_KEY_PATTERN.test(pair.privateKey)) throw apiErrors.invalidAttribute('privateKey', PRIVATE_KEY_SHAPE);
}

async function keyOfOrganization(apiKeys: ApiKeyStore, orgId: string, id: string): Promise<ApiKey> {
  const key = await apiKeys.get(id);
  if (key === undefined || key.orgId !== orgId) throw apiErrors.apiKeyNotFound(id);
  return key;
}

/**
 * The key embedded in a link-token and a migration host's key are made, and removed, with what they serve:
 * changed here they would leave a link-token or a host whose key is not what it was made to be.
 */
function refuseLiveMigrationKey(key: ApiKey): void {
  if (key.roles.includes('ORG_LIVE_MIGRATION_LINK')) {
    throw apiErrors.cannotModifyLiveMigrationApiKey(
      key.publicKey,
      `it is the key of a link-token of organization ${key.orgId ?? ''}; revoke it with DELETE /api/atlas/v2/orgs/${key.orgId ?? ''}/liveMigrations/linkTokens.`,
    );
  }
  if (key.roles.includes(MIGRATION_HOST_ROLE)) {
    throw apiErrors.cannotModifyLiveMigrationApiKey(
      key.publicKey,
      'it is the key of a migration host; remove the host with livelink migration-host remove, and add it again for a new key.',
    );
  }
}

function bindingOf(apiKey: Pick<ApiKey, 'id' | 'orgId'>): string {
  return `api_keys|${apiKey.id}|${apiKey.orgId ?? ''}`;
}

/** Eight lower-case letters, like Ops Manager's public keys, from a CSPRNG. */
function newPublicKey(): string {
  let key = '';
  for (let i = 0; i < 8; i += 1) key += String.fromCharCode(97 + randomInt(26));
  return key;
}
