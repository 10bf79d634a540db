/**
 * TLS (A-14, D-25): livelink serves HTTPS with TLS 1.2 or later and HSTS; the source verifies the
 * target's certificate and trusts a private CA only when told to.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { startLivelink, type RunningLivelink } from '../support/livelink-fixture.js';

describe('TLS', () => {
  let dir: string;
  let target: RunningLivelink;
  let cert: string;
  let key: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'livelink-tls-'));
    cert = join(dir, 'cert.pem');
    key = join(dir, 'key.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '2',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    target = await startLivelink({ role: 'target', 'tls-cert': cert, 'tls-key': key });
  });
  after(async () => {
    await target.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves HTTPS with Strict-Transport-Security', async () => {
    assert.match(target.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const { status, hsts } = await new Promise<{ status: number; hsts: string | undefined }>((resolve, reject) => {
      request(`${target.url}/health`, { ca: readFileSync(cert) }, (response) => {
        response.resume();
        resolve({ status: response.statusCode ?? 0, hsts: response.headers['strict-transport-security'] as string | undefined });
      })
        .on('error', reject)
        .end();
    });
    assert.equal(status, 200);
    assert.equal(hsts, 'max-age=300');
  });

  it('refuses TLS 1.1', async () => {
    const url = new URL(target.url);
    const outcome = await new Promise<string>((resolve) => {
      const socket = connect({
        host: url.hostname,
        port: Number(url.port),
        ca: readFileSync(cert),
        maxVersion: 'TLSv1.1',
        minVersion: 'TLSv1',
      });
      socket.on('secureConnect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.on('error', () => resolve('refused'));
    });
    assert.equal(outcome, 'refused');
  });

  it("refuses a target whose certificate it cannot verify, and links once given the target's CA", async () => {
    const atlasOrg = await target.livelink.services.organizations.createOrganization('Atlas TLS Org');
    const linkToken = await target.livelink.services.linkTokens.createToken(atlasOrg, []);

    const untrusting = await startLivelink({ role: 'source', 'target-url': target.url });
    try {
      const ops = await untrusting.organizationWithKey('Ops TLS Org');
      const response = await ops.client.request('POST', `/api/public/v1.0/orgs/${ops.orgId}/liveExport/migrationLink`, { linkToken });
      assert.equal(response.status, 503);
      assert.equal(
        (response.json() as { detail: string }).detail,
        `The Atlas API at ${target.url} could not be reached: its TLS certificate is not trusted.`,
      );
      assert.equal(await untrusting.livelink.services.migrationLinks.describe(ops.orgId), undefined);
    } finally {
      await untrusting.close();
    }

    const trusting = await startLivelink({ role: 'source', 'target-url': target.url, 'target-ca': cert });
    try {
      const ops = await trusting.organizationWithKey('Ops TLS Org');
      const response = await ops.client.request('POST', `/api/public/v1.0/orgs/${ops.orgId}/liveExport/migrationLink`, { linkToken });
      assert.equal(response.status, 201, response.text);
    } finally {
      await trusting.close();
    }
  });

  it('never turns certificate verification off anywhere in the code (A-14)', () => {
    const offenders: string[] = [];
    const scan = (path: string) => {
      for (const name of readdirSync(path)) {
        const file = join(path, name);
        if (statSync(file).isDirectory()) scan(file);
        else if (/rejectUnauthorized:\s*false|NODE_TLS_REJECT_UNAUTHORIZED/.test(readFileSync(file, 'utf8'))) offenders.push(file);
      }
    };
    for (const root of ['src', 'scripts', 'bin']) scan(new URL(`../../${root}`, import.meta.url).pathname);
    assert.deepEqual(offenders, []);
  });
});
