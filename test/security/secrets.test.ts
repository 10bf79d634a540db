/**
 * after a whole link flow with request logging on at trace level, neither the database
 * files nor any log line nor any error body holds a private key, a link-token or a digest secret.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startLivelink, type OrgWithKey, type RunningLivelink } from '../support/livelink-fixture.js';
import { waitFor } from '../support/wait-for.js';

const md5 = (text: string) => createHash('md5').update(text).digest('hex');
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('secrets stay secret', () => {
  const logs: string[] = [];
  const bodies: string[] = [];
  const secrets: string[] = [];
  let target: RunningLivelink;
  let source: RunningLivelink;

  const remember = (key: OrgWithKey) => {
    secrets.push(
      key.privateKey,
      md5(`${key.publicKey}:MMS Public API:${key.privateKey}`),
      sha256(`${key.publicKey}:MMS Public API:${key.privateKey}`),
    );
  };

  before(async () => {
    target = await startLivelink({ role: 'target', 'log-requests': 'true' }, {}, { logLines: logs });
    source = await startLivelink(
      { role: 'source', 'target-url': target.url, 'log-requests': 'true', 'sync-interval': '1' },
      {},
      { logLines: logs },
    );
    const atlas = await target.organizationWithKey('Atlas Org');
    const ops = await source.organizationWithKey('Ops Org');
    remember(atlas);
    remember(ops);
    const record = async (response: Promise<{ text: string; status: number }>) => {
      const answer = await response;
      bodies.push(answer.text);
      return answer;
    };
    const created = await record(
      atlas.client.request('POST', `/api/atlas/v2/orgs/${atlas.orgId}/liveMigrations/linkTokens`, { accessListIps: [] }),
    );
    const token = (JSON.parse(created.text) as { linkToken: string }).linkToken;
    bodies.pop(); // the one answer that must carry the token
    const embedded = JSON.parse(Buffer.from(token, 'base64').toString()) as { publicApiKey: string; privateApiKey: string };
    secrets.push(token, embedded.privateApiKey, md5(`${embedded.publicApiKey}:MMS Public API:${embedded.privateApiKey}`));
    const link = `/api/public/v1.0/orgs/${ops.orgId}/liveExport/migrationLink`;
    await record(ops.client.request('POST', link, { linkToken: token }));
    await record(ops.client.request('POST', link, { linkToken: `${token.slice(0, 20)}!!` }));
    await record(ops.client.request('POST', link, { linkToken: token, extra: token }));
    await record(ops.client.request('GET', `${link}/status?pretty=true&envelope=true`));
    await record(source.client(ops.publicKey, embedded.privateApiKey).request('GET', `${link}/status`));
    await record(atlas.client.request('DELETE', `/api/atlas/v2/orgs/${atlas.orgId}/liveMigrations/linkTokens`));
    // A failing sync, logged: waited for as it happens, since the sync loop's second may run late on a busy machine.
    await waitFor(async () => logs.some((line) => line.includes('org-sync-failed')), 'a failing sync to be logged');
    await record(ops.client.request('POST', link, { linkToken: token }));
    await record(ops.client.request('DELETE', link));
  });
  after(async () => {
    await source.close();
    await target.close();
  });

  it('logged the requests (so the search below has something to search)', () => {
    assert.ok(
      logs.some((line) => line.includes('"reqId"') && line.includes('migrationLink')),
      `${logs.length} lines`,
    );
    assert.ok(logs.some((line) => line.includes('org-sync-failed')));
  });

  it('holds no secret in any log line', () => {
    for (const secret of secrets) {
      const line = logs.find((l) => l.includes(secret));
      assert.equal(line, undefined, `a log line holds a secret: ${line}`);
    }
    assert.ok(!logs.some((line) => /Digest username=/.test(line)), 'an Authorization header was logged');
  });

  it('holds no secret in any answer but the token creation', () => {
    for (const secret of secrets) assert.ok(!bodies.some((body) => body.includes(secret)), 'an answer holds a secret');
  });

  it('holds no secret in the database files, in the clear', () => {
    for (const server of [source, target]) {
      const files = readdirSync(server.dataDir).filter((name) => name.startsWith('livelink.sqlite'));
      assert.ok(files.length > 0);
      for (const file of files) {
        const bytes = readFileSync(join(server.dataDir, file)).toString('latin1');
        for (const secret of secrets) assert.ok(!bytes.includes(secret), `${file} holds a secret in the clear`);
      }
    }
  });
});
