/**
 * on one SQLite node: 50 concurrent POSTs for one organization end with exactly one
 * link and no 5xx; a slow target holds no lock, so other organizations are served meanwhile.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startLivelink, type OrgWithKey, type RunningLivelink } from '../support/livelink-fixture.js';

describe('races on one SQLite node', () => {
  let target: RunningLivelink;
  let source: RunningLivelink;
  let atlas: OrgWithKey;

  before(async () => {
    target = await startLivelink({ role: 'target' });
    source = await startLivelink({ role: 'source', 'target-url': target.url });
    atlas = await target.organizationWithKey('Atlas Org');
  });
  after(async () => {
    await source.close();
    await target.close();
  });

  it('ends 50 concurrent POSTs for one organization with exactly one link, one event and no 5xx (R-05)', async () => {
    const ops = await source.organizationWithKey('Race Org');
    const { linkToken } = (
      await atlas.client.request('POST', `/api/atlas/v2/orgs/${atlas.orgId}/liveMigrations/linkTokens`, {})
    ).json() as { linkToken: string };
    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        source
          .client(ops.publicKey, ops.privateKey)
          .request('POST', `/api/public/v1.0/orgs/${ops.orgId}/liveExport/migrationLink`, { linkToken }),
      ),
    );
    const statuses = responses.map((r) => r.status);
    assert.ok(
      statuses.every((s) => s === 201 || s === 409),
      JSON.stringify(statuses),
    );
    assert.ok(!responses.some((r) => /SQLITE|23505|constraint/i.test(r.text)), 'a database error reached a client');
    const rows = await source.livelink.database.db.selectFrom('migration_links').selectAll().where('org_id', '=', ops.orgId).execute();
    assert.equal(rows.length, 1);
    const created = await source.livelink.database.db
      .selectFrom('audit_events')
      .select('id')
      .where('org_id', '=', ops.orgId)
      .where('event_type', '=', 'ORG_LINK_CREATED')
      .execute();
    assert.equal(created.length, 1);
  });

  it('serves other organizations while a POST waits on a slow target (R-06)', async () => {
    let release: () => void = () => undefined;
    let called: () => void = () => undefined;
    const targetCalled = new Promise<void>((resolve) => (called = resolve));
    const slow: Server = createServer((request, response) => {
      request.resume();
      release = () => response.writeHead(503).end();
      called();
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    const waiting = await startLivelink({ role: 'source', 'target-url': `http://127.0.0.1:${(slow.address() as AddressInfo).port}` });
    try {
      const stuck = await waiting.organizationWithKey('Stuck Org');
      const other = await waiting.organizationWithKey('Other Org');
      const pending = stuck.client.request('POST', `/api/public/v1.0/orgs/${stuck.orgId}/liveExport/migrationLink`, {
        linkToken: Buffer.from(
          JSON.stringify({
            orgId: 'd'.repeat(24),
            orgName: 'A',
            privateApiKey: '11111111-2222-4333-8444-555555555555',
            publicApiKey: 'abcdefgh',
          }),
        ).toString('base64'),
      });
      // The source calls the target only after the claim is committed: from here the POST is waiting on it.
      await targetCalled;
      // The claim is committed and no transaction is open: reads and writes for others go through.
      assert.equal((await other.client.request('GET', `/api/public/v1.0/orgs/${other.orgId}/liveExport/migrationLink/status`)).status, 200);
      await waiting.livelink.services.organizations.createProject(other.orgId, 'Written meanwhile');
      assert.equal(
        (await stuck.client.request('GET', `/api/public/v1.0/orgs/${stuck.orgId}/liveExport/migrationLink/status`)).text,
        '{"status":"NOT_SYNCED"}',
      );
      release();
      assert.equal((await pending).status, 502);
    } finally {
      await waiting.close();
      slow.closeAllConnections();
      await new Promise((resolve) => slow.close(resolve));
    }
  });
});
