/**
 * A linked source and target for migration tests: one livelink in role `both`, an Atlas project, a
 * source project with its migration host and key, the organizations linked through the public API, and
 * a migration host running in this process (the same `runMigrationHost` the CLI runs) until close().
 * Deployments and clusters are the test's own: it points them at its real MongoDB servers.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { LivelinkOptions } from '../../src/app/livelink.js';
import { MigrationHostHeartbeatKyselyStore } from '../../src/features/live-migrations/live-migration-kysely-store.js';
import { runMigrationHost } from '../../src/features/migration-hosts/migration-host-process.js';
import type { DigestTestClient, TestResponse } from '../support/digest-client.js';
import { startLivelink, type RunningLivelink } from '../support/livelink-fixture.js';
import { waitFor } from '../support/wait-for.js';

export const HOSTNAME = 'mh1.example.internal';
export const V2_2024 = 'application/vnd.atlas.2024-05-30+json';
export const V2_2023 = 'application/vnd.atlas.2023-01-01+json';

const DEPLOYMENT_FACTS = {
  mongoDBVersion: '8.2.11',
  featureCompatibilityVersion: '8.2',
  managed: true,
  sharded: false,
  shardsSize: null,
  tlsEnabled: false,
  agentVersion: null,
  dbSizeBytes: null,
  oplogSizeMB: null,
};

export interface MigrationView {
  _id: string;
  status: string;
  readyForCutover: boolean;
  lagTimeSeconds: number | null;
  errorMessage?: string;
}

export interface OrgEvent {
  eventTypeName: string;
  [field: string]: unknown;
}

export interface SourceCredentials {
  username: string;
  password: string;
}

export class LinkedPair {
  readonly #hostAbort = new AbortController();
  #host: Promise<void> | undefined;

  private constructor(
    readonly server: RunningLivelink,
    readonly atlas: DigestTestClient,
    readonly opsManager: DigestTestClient,
    readonly targetOrgId: string,
    readonly sourceOrgId: string,
    readonly atlasProjectId: string,
    readonly sourceProjectId: string,
    readonly hostKey: { publicKey: string; privateKey: string },
    private readonly stateDir: string,
  ) {}

  /** `flags`: the server's, as `livelink serve` takes them (e.g. a control token). */
  static async start(options: { flags?: Record<string, string>; livelink?: Omit<LivelinkOptions, 'logger'> } = {}): Promise<LinkedPair> {
    const server = await startLivelink(options.flags ?? {}, {}, options.livelink === undefined ? {} : { livelink: options.livelink });
    const atlasOrg = await server.organizationWithKey('Atlas Org');
    const opsOrg = await server.organizationWithKey('Ops Org');
    const { organizations, migrationHosts } = server.livelink.services;
    const atlasProjectId = (await organizations.createProject(atlasOrg.orgId, 'Atlas Project')).id;
    const sourceProjectId = (await organizations.createProject(opsOrg.orgId, 'Payments')).id;
    const added = await migrationHosts.add(sourceProjectId, HOSTNAME);
    assert.ok(added.apiKey !== undefined);
    const token = await atlasOrg.client.request('POST', `/api/atlas/v2/orgs/${atlasOrg.orgId}/liveMigrations/linkTokens`, {
      accessListIps: ['127.0.0.1'],
    });
    assert.equal(token.status, 201, token.text);
    const link = await opsOrg.client.request('POST', `/api/public/v1.0/orgs/${opsOrg.orgId}/liveExport/migrationLink`, {
      linkToken: (token.json() as { linkToken: string }).linkToken,
    });
    assert.equal(link.status, 201, link.text);
    return new LinkedPair(
      server,
      atlasOrg.client,
      opsOrg.client,
      atlasOrg.orgId,
      opsOrg.orgId,
      atlasProjectId,
      sourceProjectId,
      { publicKey: added.apiKey.apiKey.publicKey, privateKey: added.apiKey.privateKey },
      mkdtempSync(join(tmpdir(), 'livelink-migration-host-')),
    );
  }

  /** A source deployment reached at `connectionString`, pushed to the target before this returns. */
  async addDeployment(name: string, connectionString: string): Promise<void> {
    await this.server.livelink.services.organizations.createDeployment(
      this.sourceProjectId,
      { name, ...DEPLOYMENT_FACTS },
      connectionString,
    );
    await waitFor(async () => {
      const available = await this.atlas.request(
        'GET',
        `/api/atlas/v2/orgs/${this.targetOrgId}/liveMigrations/availableProjects`,
        undefined,
        {
          accept: V2_2023,
        },
      );
      return available.text.includes(`"name":"${name}"`);
    }, `deployment ${name} pushed to the target`);
  }

  async addCluster(name: string, connectionString: string): Promise<void> {
    await this.server.livelink.services.clusters.create(this.atlasProjectId, { name, connectionString, mongoDBVersion: '8.2.11' });
  }

  /** Starts the migration host and waits until the target has seen it (its first ask for a job). */
  async startHost(): Promise<void> {
    this.#host = runMigrationHost({
      sourceUrl: this.server.url,
      groupId: this.sourceProjectId,
      hostname: HOSTNAME,
      ...this.hostKey,
      stateDir: this.stateDir,
      pollIntervalMs: 200,
      reportIntervalMs: 200,
      batchSize: 100,
      mongodbTimeoutMs: 3000,
      logger: pino({ level: process.env['LIVELINK_TEST_LOG'] ?? 'silent' }),
      signal: this.#hostAbort.signal,
    });
    const heartbeats = new MigrationHostHeartbeatKyselyStore(this.server.livelink.database.db);
    const host = { orgId: this.targetOrgId, sourceOrgId: this.sourceOrgId, sourceGroupId: this.sourceProjectId, hostname: HOSTNAME };
    await waitFor(async () => (await heartbeats.lastSeen(host)) !== undefined, 'the host to be seen');
  }

  request(sourceClusterName: string, clusterName: string, options: { drop?: boolean; credentials?: SourceCredentials } = {}) {
    return {
      destination: { clusterName, groupId: this.atlasProjectId, hostnameSchemaType: 'PUBLIC' },
      dropDestinationData: options.drop ?? false,
      migrationHosts: [HOSTNAME],
      source: {
        caCertificatePath: '',
        clusterName: sourceClusterName,
        groupId: this.sourceProjectId,
        managedAuthentication: options.credentials === undefined,
        password: options.credentials?.password ?? '',
        ssl: false,
        username: options.credentials?.username ?? '',
      },
    };
  }

  get base(): string {
    return `/api/atlas/v2/groups/${this.atlasProjectId}/liveMigrations`;
  }

  /** Validates and waits for the end: its status and errorMessage. */
  async validate(body: ReturnType<LinkedPair['request']>): Promise<{ status: string; errorMessage: string | null }> {
    const created = await this.atlas.request('POST', `${this.base}/validate`, body, { accept: V2_2024, 'content-type': V2_2024 });
    assert.equal(created.status, 200, created.text);
    const { _id: id } = created.json() as { _id: string };
    let latest = { status: 'PENDING', errorMessage: null as string | null };
    await waitFor(
      async () => {
        latest = json(await this.atlas.request('GET', `${this.base}/validate/${id}`, undefined, { accept: V2_2023 }));
        return latest.status !== 'PENDING';
      },
      `validation ${id} to end`,
      30_000,
    );
    return { status: latest.status, errorMessage: latest.errorMessage };
  }

  async create(body: ReturnType<LinkedPair['request']>): Promise<string> {
    const created = await this.atlas.request('POST', this.base, body, { accept: V2_2024, 'content-type': V2_2024 });
    assert.equal(created.status, 201, created.text);
    return (created.json() as { _id: string })._id;
  }

  async migration(id: string): Promise<MigrationView> {
    return json(await this.atlas.request('GET', `${this.base}/${id}`, undefined, { accept: V2_2023 }));
  }

  async waitForMigration(id: string, condition: (view: MigrationView) => boolean, what: string): Promise<MigrationView> {
    let latest: MigrationView | undefined;
    await waitFor(
      async () => {
        latest = await this.migration(id);
        return condition(latest);
      },
      `migration ${id}: ${what}`,
      60_000,
    );
    assert.ok(latest !== undefined);
    return latest;
  }

  cutover(id: string): Promise<TestResponse> {
    return this.atlas.request('PUT', `${this.base}/${id}/cutover`, undefined, { accept: V2_2023 });
  }

  /** The events of the target's (`atlas`) or the source's organization. */
  async events(side: 'target' | 'source'): Promise<OrgEvent[]> {
    const [client, orgId] = side === 'target' ? [this.atlas, this.targetOrgId] : [this.opsManager, this.sourceOrgId];
    return (json(await client.request('GET', `/api/public/v1.0/orgs/${orgId}/events`)) as { results: OrgEvent[] }).results;
  }

  async close(): Promise<void> {
    this.#hostAbort.abort();
    await this.#host;
    await this.server.close();
    rmSync(this.stateDir, { recursive: true, force: true });
  }
}

export function json<T>(response: TestResponse): T {
  assert.ok(response.status < 300, `HTTP ${response.status}: ${response.text}`);
  return response.json() as T;
}
