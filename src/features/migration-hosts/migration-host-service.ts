import { apiErrors } from '../../http/api-error.js';
import type { WriteTransaction } from '../../persistence/write-transaction.js';
import { newObjectId } from '../../shared/ids.js';
import { MIGRATION_HOST_ROLE, type ApiKey } from '../api-keys/api-key.js';
import type { ApiKeyService, ApiKeyWrites, CreatedApiKey, GivenKeyPair, NewApiKey } from '../api-keys/api-key-service.js';
import { MIGRATION_HOSTNAME_PATTERN } from '../organizations/organization.js';
import type { OrganizationStore } from '../organizations/organization-store.js';
import type { MigrationHostKey } from './migration-host-key.js';
import type { MigrationHostKeyStore } from './migration-host-key-store.js';

/** What the migration-host service uses in a write transaction. */
export interface MigrationHostWrites extends ApiKeyWrites {
  migrationHostKeys: MigrationHostKeyStore;
  organizations: Pick<OrganizationStore, 'getProject' | 'addMigrationHost' | 'removeMigrationHost'>;
  /** The organizations service's hook (see OrganizationWrites): a host added or removed changes the inventory. */
  inventoryChanged(orgId: string): Promise<void>;
}

export interface AddedMigrationHost {
  projectId: string;
  hostname: string;
  /** The host's new key, its private key shown this once; undefined when the host had its key already. */
  apiKey: CreatedApiKey | undefined;
}

/**
 * Migration hosts with their own API keys. A host and its key are made in one transaction and removed
 * in one, so there is never a host key without its host: the key (role ORG_MIGRATION_HOST) is bound to
 * the host row, and the job routes admit it for that host only (isHostKey).
 */
export class MigrationHostService {
  constructor(
    private readonly store: MigrationHostKeyStore,
    private readonly transaction: WriteTransaction<MigrationHostWrites>,
    private readonly apiKeys: Pick<ApiKeyService, 'createIn' | 'deleteIn'>,
    private readonly now: () => Date,
  ) {}

  /**
   * Adds the host to the project if it is not there, and gives it a key if it has none: `given` (a
   * fixture's pair), else a generated one. Adding a host that has its key changes nothing (remove it and
   * add it again for a new key, or replaceKey).
   */
  async add(projectId: string, hostname: string, given?: GivenKeyPair): Promise<AddedMigrationHost> {
    if (!MIGRATION_HOSTNAME_PATTERN.test(hostname)) throw apiErrors.invalidAttribute('hostname');
    return this.transaction(async (writes) => {
      const project = await writes.organizations.getProject(projectId);
      if (project === undefined) throw apiErrors.groupNotFound(projectId);
      let host = await writes.migrationHostKeys.find(projectId, hostname);
      if (host === undefined) {
        await writes.organizations.addMigrationHost({ id: newObjectId(this.now()), projectId, hostname });
        await writes.inventoryChanged(project.orgId);
        host = await writes.migrationHostKeys.find(projectId, hostname);
      }
      if (host === undefined) throw new Error(`the migration host ${hostname} was not stored`);
      if (host.apiKeyId !== null) return { projectId, hostname, apiKey: undefined };
      const created = await this.apiKeys.createIn(writes, hostKeyRequest(project.orgId, projectId, hostname, given));
      // Write transactions never interleave, so the host read above has no key still.
      if (!(await writes.migrationHostKeys.bindKey(host.hostId, created.apiKey.id))) {
        throw new Error(`the migration host ${hostname} was given a key meanwhile`);
      }
      return { projectId, hostname, apiKey: created };
    });
  }

  /**
   * Gives the host the key pair `given` in place of the key it has (which is deleted, so it stops
   * working): a fixture's key that changed. False when the project has no such host.
   */
  async replaceKey(projectId: string, hostname: string, given: GivenKeyPair): Promise<boolean> {
    return this.transaction(async (writes) => {
      const host = await writes.migrationHostKeys.find(projectId, hostname);
      const project = await writes.organizations.getProject(projectId);
      if (host === undefined || project === undefined) return false;
      if (host.apiKeyId !== null) await this.apiKeys.deleteIn(writes, host.apiKeyId);
      const created = await this.apiKeys.createIn(writes, hostKeyRequest(project.orgId, projectId, hostname, given));
      // The key deleted above unbound itself (the host's reference is set null with it).
      return writes.migrationHostKeys.bindKey(host.hostId, created.apiKey.id);
    });
  }

  /** The host with its key's id, as stored; undefined when the project has no such host. */
  find(projectId: string, hostname: string): Promise<MigrationHostKey | undefined> {
    return this.store.find(projectId, hostname);
  }

  /** Removes the host and its key; false when the project has no such host. */
  async remove(projectId: string, hostname: string): Promise<boolean> {
    return this.transaction(async (writes) => {
      const host = await writes.migrationHostKeys.find(projectId, hostname);
      if (host === undefined) return false;
      if (host.apiKeyId !== null) await this.apiKeys.deleteIn(writes, host.apiKeyId);
      const removed = await writes.organizations.removeMigrationHost(projectId, hostname);
      const project = await writes.organizations.getProject(projectId);
      if (removed && project !== undefined) await writes.inventoryChanged(project.orgId);
      return removed;
    });
  }

  /** Is `apiKey` the key of the migration host `hostname` of project `projectId`? */
  async isHostKey(apiKey: ApiKey, projectId: string, hostname: string): Promise<boolean> {
    if (!apiKey.roles.includes(MIGRATION_HOST_ROLE)) return false;
    const host = await this.store.findByApiKey(apiKey.id);
    return host !== undefined && host.projectId === projectId && host.hostname === hostname;
  }
}

/** A host's own key: role ORG_MIGRATION_HOST, no access list, described by the host it belongs to. */
function hostKeyRequest(orgId: string, projectId: string, hostname: string, given: GivenKeyPair | undefined): NewApiKey {
  return {
    orgId,
    description: `Migration host ${hostname} of project ${projectId}`,
    roles: [MIGRATION_HOST_ROLE],
    accessList: [],
    ...(given === undefined ? {} : { given }),
  };
}
