/**
 * idle and slow connections do not starve other clients, and the server's timeouts are set
 * explicitly (a slow client is cut off instead of holding its socket forever).
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startLivelink, type OrgWithKey, type RunningLivelink } from '../support/livelink-fixture.js';

describe('idle and slow connections', () => {
  let server: RunningLivelink;
  let owner: OrgWithKey;
  const sockets: Socket[] = [];

  before(async () => {
    server = await startLivelink();
    owner = await server.organizationWithKey('Busy Org');
  });
  after(async () => {
    for (const socket of sockets) socket.destroy();
    await server.close();
  });

  it('sets header, request and keep-alive timeouts explicitly', () => {
    const http = server.livelink.http().server;
    assert.equal(http.requestTimeout, 30_000);
    assert.equal(http.keepAliveTimeout, 65_000);
    assert.ok(http.headersTimeout > 0 && http.headersTimeout <= 60_000, String(http.headersTimeout));
  });

  it('serves a client while 500 idle and 100 slowly-sending connections are open', async () => {
    const url = new URL(server.url);
    const open = () =>
      new Promise<Socket>((resolve, reject) => {
        const socket = connect(Number(url.port), url.hostname, () => resolve(socket));
        socket.on('error', reject);
        sockets.push(socket);
      });
    for (let i = 0; i < 500; i += 1) await open();
    for (let i = 0; i < 100; i += 1) {
      const socket = await open();
      // A request line and one header, then nothing: the slowloris pattern.
      socket.write(`GET /api/public/v1.0/orgs HTTP/1.1\r\nHost: x\r\nX-Slow-${i}: `);
    }
    const response = await owner.client.request('GET', `/api/public/v1.0/orgs/${owner.orgId}/liveExport/migrationLink/status`);
    assert.equal(response.status, 200);
    assert.equal(response.text, '{"status":"NOT_SYNCED"}');
  });
});
