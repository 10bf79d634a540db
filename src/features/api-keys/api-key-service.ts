import { randomInt, randomUUID } from 'node:crypto';
import type { SecretBox } from '../../crypto/secret-box.js';
import { DIGEST_REALM } from '../../http/digest/challenge.js';
import type { DigestSecrets } from '../../http/digest/digest-authenticator.js';
import { ha1Hex } from '../../http/digest/digest-response.js';
import type { Db, OpenedDatabase } from '../../persistence/database.js';
import { newObjectId } from '../../persistence/ids.js';
import { apiErrors } from '../../http/api-error.js';
import { recordAuditEvent } from '../audit/audit.js';
import { canonicalAccessListEntry } from './access-list.js';
import type { ApiKey, Role } from './api-key.js';
import { ApiKeyKyselyStore } from './api-key-kysely-store.js';
import type { ApiKeyStore } from './api-key-store.js';

export interface NewApiKey {
  orgId: string | null;
  description: string;
  roles: Role[];
  accessList: readonly string[];
}

export interface CreatedApiKey {
  apiKey: ApiKey;
  /** Shown once, at creation; livelink keeps only sealed digest secrets derived from it. */
  privateKey: string;
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
    private readonly database: OpenedDatabase,
    private readonly secretBox: SecretBox,
    private readonly now: () => number = Date.now,
  ) {}

  storeOn(db: Db): ApiKeyStore {
    return new ApiKeyKyselyStore(db);
  }

  /**
   * Creates a key inside the caller's transaction (`tx`), so that a key made for a link-token exists
   * exactly when the token does.
   */
  async createIn(tx: Db, request: NewApiKey): Promise<CreatedApiKey> {
    const accessList = request.accessList.map((entry) => {
      const canonical = canonicalAccessListEntry(entry);
      if (canonical === undefined) throw apiErrors.invalidAttribute('accessList', `${JSON.stringify(entry)} is not an IP address or CIDR block.`);
      return canonical;
    });
    const privateKey = randomUUID();
    const apiKey: ApiKey = {
      id: newObjectId(),
      publicKey: newPublicKey(),
      orgId: request.orgId,
      description: request.description,
      roles: [...request.roles],
      accessList,
      createdAt: new Date(this.now()).toISOString(),
    };
    const secrets: DigestSecrets = {
      MD5: ha1Hex('MD5', apiKey.publicKey, DIGEST_REALM, privateKey),
      'SHA-256': ha1Hex('SHA-256', apiKey.publicKey, DIGEST_REALM, privateKey),
    };
    await this.storeOn(tx).create(apiKey, this.secretBox.seal(JSON.stringify(secrets), bindingOf(apiKey)));
    if (apiKey.orgId !== null) {
      await recordAuditEvent(tx, apiKey.orgId, 'API_KEY_CREATED', { publicKey: apiKey.publicKey, roles: apiKey.roles.join(',') }, new Date(this.now()));
    }
    return { apiKey, privateKey };
  }

  create(request: NewApiKey): Promise<CreatedApiKey> {
    return this.database.writeTransaction((tx) => this.createIn(tx, request));
  }

  async deleteIn(tx: Db, id: string): Promise<boolean> {
    const key = await this.storeOn(tx).get(id);
    const deleted = await this.storeOn(tx).delete(id);
    if (key !== undefined) {
      this.#lookupCache.delete(key.publicKey);
      if (deleted && key.orgId !== null) await recordAuditEvent(tx, key.orgId, 'API_KEY_DELETED', { publicKey: key.publicKey }, new Date(this.now()));
    }
    return deleted;
  }

  list(orgId: string | null): Promise<ApiKey[]> {
    return this.storeOn(this.database.db).list(orgId);
  }

  async setAccessList(id: string, entries: readonly string[]): Promise<ApiKey | undefined> {
    const canonical = entries.map((entry) => {
      const value = canonicalAccessListEntry(entry);
      if (value === undefined) throw apiErrors.invalidAttribute('accessList', `${JSON.stringify(entry)} is not an IP address or CIDR block.`);
      return value;
    });
    return this.database.writeTransaction(async (tx) => {
      const store = this.storeOn(tx);
      const key = await store.get(id);
      if (key === undefined) return undefined;
      await store.setAccessList(id, canonical);
      this.#lookupCache.delete(key.publicKey);
      return { ...key, accessList: canonical };
    });
  }

  /**
   * Re-seals every digest secret sealed with an older key, one key a transaction, while the service
   * runs: each row is readable with either key until it is re-sealed. Returns how many were re-sealed.
   */
  async resealSecrets(): Promise<number> {
    const rows = await this.database.db.selectFrom('api_keys').select(['id', 'org_id', 'digest_secret']).execute();
    let resealed = 0;
    for (const row of rows) {
      if (!this.secretBox.isStale(row.digest_secret)) continue;
      const binding = bindingOf({ id: row.id, orgId: row.org_id });
      const fresh = this.secretBox.seal(this.secretBox.open(row.digest_secret, binding), binding);
      await this.database.writeTransaction((tx) =>
        tx.updateTable('api_keys').set({ digest_secret: fresh }).where('id', '=', row.id).where('digest_secret', '=', row.digest_secret).execute(),
      );
      resealed += 1;
    }
    return resealed;
  }

  /** The key and its digest secrets, for the authenticator. Cached for at most LOOKUP_CACHE_MS. */
  async findForAuthentication(publicKey: string): Promise<AuthenticationRecord | undefined> {
    const now = this.now();
    const cached = this.#lookupCache.get(publicKey);
    if (cached !== undefined && cached.until > now) return cached.record;
    const stored = await this.storeOn(this.database.db).findByPublicKey(publicKey);
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
