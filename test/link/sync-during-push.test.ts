/**
 * A change made on the source while a push of the organization is in flight is not lost: the push
 * finishing must not mark the link as synced, since it carried the inventory read before the change.
 * A proxy in front of a real target holds one push until the test has made the change.
 */
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startLivelink, type OrgWithKey, type RunningLivelink } from '../support/livelink-fixture.js';
import { waitFor } from '../support/wait-for.js';

const linkPath = (orgId: string) => `/api/public/v1.0/orgs/${orgId}/liveExport/migrationLink`;
const tokensPath = (orgId: string) => `/api/atlas/v2/orgs/${orgId}/liveMigrations/linkTokens`;
const projectsPath = (orgId: string) => `/api/atlas/v2/orgs/${orgId}/liveMigrations/availableProjects`;

/** Forwards everything to `target`; once armed, holds the next inventory PUT until released. */
class HoldingProxy {
  readonly server: Server;
  #armed = false;
  #arrived: (() => void) | undefined;
  #release: Promise<void> = Promise.resolve();

  constructor(private readonly target: URL) {
    this.server = createServer((request, response) => void this.#handle(request, response));
  }

  /** Arms the proxy; resolves when a push has arrived and is being held; call the returned function to let it through. */
  holdNextPush(): { arrived: Promise<void>; release: () => void } {
    let release = () => {};
    this.#release = new Promise<void>((resolve) => (release = resolve));
    const arrived = new Promise<void>((resolve) => (this.#arrived = resolve));
    this.#armed = true;
    return { arrived, release };
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    if (this.#armed && request.method === 'PUT' && (request.url ?? '').includes('/sourceOrganizations/')) {
      this.#armed = false;
      this.#arrived?.();
      await this.#release;
    }
    const forwarded = httpRequest(
      new URL(request.url ?? '/', this.target),
      { method: request.method, headers: { ...request.headers, host: this.target.host } },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    forwarded.on('error', () => response.destroy());
    forwarded.end(Buffer.concat(chunks));
  }
}

describe('a change made while a push is in flight', () => {
  let target: RunningLivelink;
  let source: RunningLivelink;
  let proxy: HoldingProxy;
  let atlas: OrgWithKey;
  let opsManager: OrgWithKey;
  let deploymentId: string;

  const targetVersion = async () => {
    const projects = (await atlas.client.request('GET', projectsPath(atlas.orgId))).json() as {
      deployments: { mongoDBVersion: string }[];
    }[];
    return projects[0]?.deployments[0]?.mongoDBVersion;
  };

  before(async () => {
    target = await startLivelink({ role: 'target' });
    proxy = new HoldingProxy(new URL(target.url));
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    const proxyUrl = `http://127.0.0.1:${(proxy.server.address() as AddressInfo).port}`;
    // An interval far beyond the test: only a change can make the loop push again.
    source = await startLivelink({ role: 'source', 'target-url': proxyUrl, 'sync-interval': '3600' });
    atlas = await target.organizationWithKey('Atlas Org');
    opsManager = await source.organizationWithKey('Ops Manager Org');
    const organizations = source.livelink.services.organizations;
    const projectId = (await organizations.createProject(opsManager.orgId, 'Project A')).id;
    deploymentId = (
      await organizations.createDeployment(projectId, {
        name: 'rs0',
        mongoDBVersion: '5.0.14',
        featureCompatibilityVersion: '5.0',
        managed: true,
        sharded: false,
        shardsSize: null,
        tlsEnabled: false,
        agentVersion: null,
        dbSizeBytes: null,
        oplogSizeMB: null,
      })
    ).id;
  });
  after(async () => {
    await source.close();
    proxy.server.closeAllConnections();
    await new Promise((resolve) => proxy.server.close(resolve));
    await target.close();
  });

  it('is pushed again once that push has finished', async () => {
    const token = await atlas.client.request('POST', tokensPath(atlas.orgId), { accessListIps: [] });
    assert.equal(token.status, 201, token.text);
    const linked = await opsManager.client.request('POST', linkPath(opsManager.orgId), {
      linkToken: (token.json() as { linkToken: string }).linkToken,
    });
    assert.equal(linked.status, 201, linked.text);
    assert.equal(await targetVersion(), '5.0.14');

    const organizations = source.livelink.services.organizations;
    const held = proxy.holdNextPush();
    // The sync loop picks this change up and pushes it; the proxy holds that push...
    await organizations.updateDeployment(deploymentId, { mongoDBVersion: '6.0.8', featureCompatibilityVersion: '6.0' });
    await held.arrived;
    // ...while another change is made, after the push read the inventory.
    await organizations.updateDeployment(deploymentId, { mongoDBVersion: '7.0.2', featureCompatibilityVersion: '7.0' });
    assert.equal(await targetVersion(), '5.0.14');
    held.release();

    await waitFor(async () => (await targetVersion()) === '7.0.2', 'the target to show the change made during the push');
    // And once that second push is done the link is no longer due.
    await waitFor(async () => {
      const row = await source.livelink.database.db
        .selectFrom('migration_links')
        .select('sync_due')
        .where('org_id', '=', opsManager.orgId)
        .executeTakeFirst();
      return row?.sync_due === 0;
    }, 'the link to be up to date');
    assert.equal((await opsManager.client.request('GET', `${linkPath(opsManager.orgId)}/status`)).text, '{"status":"SYNCED"}');
  });
});
