import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startLivelink, type RunningLivelink } from '../support/livelink-fixture.js';

describe('generated API keys (D-23)', () => {
  let server: RunningLivelink;
  before(async () => {
    server = await startLivelink();
  });
  after(() => server.close());

  it('are 8 lower-case letters and a UUID v4, all different, over 500 keys', async () => {
    const org = await server.livelink.services.organizations.createOrganization('Keys Org');
    const publicKeys = new Set<string>();
    const privateKeys = new Set<string>();
    for (let i = 0; i < 500; i += 1) {
      const { apiKey, privateKey } = await server.livelink.services.apiKeys.create({
        orgId: org.id,
        description: 'k',
        roles: ['ORG_MEMBER'],
        accessList: [],
      });
      assert.match(apiKey.publicKey, /^[a-z]{8}$/);
      assert.match(privateKey, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      publicKeys.add(apiKey.publicKey);
      privateKeys.add(privateKey);
    }
    assert.equal(publicKeys.size, 500);
    assert.equal(privateKeys.size, 500);
  });
});
