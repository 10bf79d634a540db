import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/config.js';

describe('configuration', () => {
  it('has defaults for a local start', () => {
    const config = loadConfig({ flags: {}, env: {} });
    assert.equal(config.role, 'both');
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 8080);
    assert.equal(config.syncIntervalSeconds, 60);
    assert.equal(config.migrationExpiryHours, 120);
    assert.equal(config.targetUrl, undefined);
    assert.ok(config.dataDir.endsWith('/data'));
  });

  it('serves plain HTTP on the network only when told to', () => {
    assert.equal(loadConfig({ flags: { host: '0.0.0.0', 'insecure-http': true }, env: {} }).insecureHttp, true);
    assert.equal(
      loadConfig({ flags: { host: '0.0.0.0', 'tls-cert': 'c.pem', 'tls-key': 'k.pem' }, env: {} }).tls?.certFile.endsWith('/c.pem'),
      true,
    );
    assert.equal(loadConfig({ flags: { host: '::1' }, env: {} }).host, '::1');
  });

  it('takes flags over environment variables', () => {
    const config = loadConfig({ flags: { port: '9000' }, env: { LIVELINK_PORT: '9001', LIVELINK_ROLE: 'target' } });
    assert.equal(config.port, 9000);
    assert.equal(config.role, 'target');
    assert.equal(loadConfig({ flags: {}, env: { LIVELINK_MIGRATION_EXPIRY_HOURS: '2' } }).migrationExpiryHours, 2);
    assert.equal(
      loadConfig({ flags: { 'migration-expiry-hours': '24' }, env: { LIVELINK_MIGRATION_EXPIRY_HOURS: '2' } }).migrationExpiryHours,
      24,
    );
  });

  it('stops on a bad value with a message that names it', () => {
    const cases: [Record<string, string>, Record<string, string>, RegExp][] = [
      [{ role: 'primary' }, {}, /--role must be both, source or target/],
      [{ port: '80a' }, {}, /--port must be a whole number/],
      [{ port: '70000' }, {}, /--port must be between 0 and 65535/],
      [{ 'target-url': 'ftp://x' }, {}, /--target-url must be http or https/],
      [{ 'target-url': 'https://atlas.example.com/api' }, {}, /--target-url must be a base URL/],
      [{ role: 'source' }, {}, /--target-url is required with --role source/],
      [{ 'sync-interval': '0' }, {}, /--sync-interval must be between 1 and 86400/],
      [{ 'migration-expiry-hours': '0' }, {}, /--migration-expiry-hours must be between 1 and 8760/],
      [{}, { LIVELINK_MIGRATION_EXPIRY_HOURS: '1.5' }, /--migration-expiry-hours must be a whole number/],
      [{}, { LIVELINK_TRUSTED_PROXIES: 'proxy.example' }, /--trusted-proxy is not an IP address or CIDR block/],
      [{ 'log-level': 'loud' }, {}, /--log-level must be one of/],
      [
        { host: '0.0.0.0' },
        {},
        /--host 0\.0\.0\.0 is not a loopback address: serve it with --tls-cert and --tls-key, or pass --insecure-http/,
      ],
      [{ 'tls-cert': 'cert.pem' }, {}, /--tls-cert and --tls-key go together/],
      [{ 'database-url': 'mysql://x' }, {}, /--database-url must be a postgres/],
    ];
    for (const [flags, env, message] of cases) {
      assert.throws(
        () => loadConfig({ flags, env }),
        (error: Error) => error instanceof ConfigError && message.test(error.message),
        JSON.stringify(flags),
      );
    }
  });
});
