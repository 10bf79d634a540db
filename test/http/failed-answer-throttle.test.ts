/**
 * D-21: failed digest answers are throttled per (public key, client address) with 429 RATE_LIMITED and
 * an integer Retry-After; the key itself is never locked, so the same key from elsewhere keeps working.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startLivelink, type OrgWithKey, type RunningLivelink } from '../support/livelink-fixture.js';

describe('throttling failed answers', () => {
  let server: RunningLivelink;
  let victim: OrgWithKey;
  // livelink trusts X-Forwarded-For from loopback here, so each client can speak from its own address.
  const from = (address: string) => ({ 'x-forwarded-for': address });
  const path = () => `/api/public/v1.0/orgs/${victim.orgId}/liveExport/migrationLink/status`;

  before(async () => {
    server = await startLivelink({ 'trusted-proxy': '127.0.0.1' });
    victim = await server.organizationWithKey('Victim Org');
  });
  after(() => server.close());

  it('does not count the first, unauthenticated request of each call', async () => {
    for (let i = 0; i < 10; i += 1) {
      assert.equal((await fetch(`${server.url}${path()}`, { headers: from('198.51.100.50') })).status, 401);
    }
    assert.equal((await victim.client.request('GET', path(), undefined, from('198.51.100.50'))).status, 200);
  });

  it('answers 429 with Retry-After after 5 wrong answers from one address, and only there', async () => {
    const attacker = server.client(victim.publicKey, '00000000-0000-4000-8000-000000000000');
    for (let i = 0; i < 5; i += 1) {
      assert.equal((await attacker.request('GET', path(), undefined, from('203.0.113.66'))).status, 401);
    }
    const blocked = await attacker.request('GET', path(), undefined, from('203.0.113.66'));
    assert.equal(blocked.status, 429);
    assert.equal(blocked.headers.get('retry-after'), '300');
    assert.equal(
      blocked.text,
      '{"detail":"Too many failed authentication attempts with this API key from this address. Try again in 300 seconds.","error":429,"errorCode":"RATE_LIMITED","parameters":["300"],"reason":"Too Many Requests"}',
    );
    // Retry-After on the wire as Ops Manager names it (Fastify would write it lower-case).
    const rawNames = await new Promise<string[]>((resolve, reject) => {
      const authorization = attacker.sent.at(-1)?.authorization ?? '';
      const req = httpRequest(`${server.url}${path()}`, { headers: { authorization, ...from('203.0.113.66') } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode === 429 ? res.rawHeaders.filter((_, i) => i % 2 === 0) : []));
      });
      req.on('error', reject);
      req.end();
    });
    assert.ok(rawNames.includes('Retry-After'), rawNames.join(', '));
    // Even the right private key is not checked from the throttled pair…
    assert.equal((await victim.client.request('GET', path(), undefined, from('203.0.113.66'))).status, 429);
    // …while the real client, elsewhere, is not locked out.
    assert.equal((await victim.client.request('GET', path(), undefined, from('192.0.2.10'))).status, 200);
  });
});
