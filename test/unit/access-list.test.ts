import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accessListAllows, canonicalAccessListEntry } from '../../src/shared/access-list.js';
import { clientAddress } from '../../src/http/client-address.js';

describe('access-list entries', () => {
  it('accepts addresses and CIDR blocks in canonical form', () => {
    assert.equal(canonicalAccessListEntry('203.0.113.10'), '203.0.113.10');
    assert.equal(canonicalAccessListEntry(' 10.0.0.0/8 '), '10.0.0.0/8');
    assert.equal(canonicalAccessListEntry('2001:DB8::1'), '2001:db8::1');
    assert.equal(canonicalAccessListEntry('2001:db8::/32'), '2001:db8::/32');
  });

  it('refuses what is not an address or a block', () => {
    for (const bad of ['', '300.1.1.1', '10.0.0.0/33', 'example.com', '1.2.3', '::g', '10.0.0.0/']) {
      assert.equal(canonicalAccessListEntry(bad), undefined, bad);
    }
  });

  it('matches addresses, blocks and IPv4-mapped IPv6 callers', () => {
    assert.equal(accessListAllows(['10.0.0.0/8'], '10.1.2.3'), true);
    assert.equal(accessListAllows(['10.0.0.0/8'], '11.1.2.3'), false);
    assert.equal(accessListAllows(['127.0.0.1'], '::ffff:127.0.0.1'), true);
    assert.equal(accessListAllows(['2001:db8::/32'], '2001:db8::5'), true);
    assert.equal(accessListAllows(['2001:db8::/32'], '10.0.0.1'), false);
    assert.equal(accessListAllows([], '10.0.0.1'), false);
    assert.equal(accessListAllows(['10.0.0.0/8'], 'not an ip'), false);
  });
});

describe('the client address', () => {
  it('ignores X-Forwarded-For from a socket that is not a trusted proxy', () => {
    assert.equal(clientAddress('::ffff:198.51.100.1', '203.0.113.9', ['10.0.0.0/8']), '198.51.100.1');
    assert.equal(clientAddress('10.0.0.2', '203.0.113.9', []), '10.0.0.2');
  });

  it('takes the right-most hop that is not a trusted proxy', () => {
    assert.equal(clientAddress('10.0.0.2', '1.1.1.1, 203.0.113.9, 10.0.0.3', ['10.0.0.0/8']), '203.0.113.9');
    assert.equal(clientAddress('10.0.0.2', '10.0.0.4', ['10.0.0.0/8']), '10.0.0.2');
  });
});
