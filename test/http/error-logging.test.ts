/**
 * How answered errors are logged: a failure of the target the source calls is an expected outcome (a
 * warning with its code), a fault is an error with its stack, and a 4xx is no log line at all.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { encodeLinkToken } from '../../src/features/link-tokens/link-token-codec.js';
import { startLivelink, type OrgWithKey, type RunningLivelink } from '../support/livelink-fixture.js';

interface LogLine {
  level: number;
  msg: string;
  errorCode?: string;
  err?: { message: string; stack?: string };
}

const WARN = 40;
const ERROR = 50;

describe('logging of answered errors', () => {
  const lines: string[] = [];
  let server: RunningLivelink;
  let org: OrgWithKey;
  const logged = (): LogLine[] => lines.map((line) => JSON.parse(line) as LogLine);
  const linkPath = () => `/api/public/v1.0/orgs/${org.orgId}/liveExport/migrationLink`;

  before(async () => {
    // A port nothing listens on: every call to the target is refused.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    server = await startLivelink({ role: 'source', 'target-url': `http://127.0.0.1:${port}` }, {}, { logLines: lines });
    org = await server.organizationWithKey('Ops Org');
  });
  after(() => server.close());

  it('logs TARGET_UNREACHABLE as a warning with its code, not as an unexpected error', async () => {
    const linkToken = encodeLinkToken({
      orgId: 'a'.repeat(24),
      orgName: 'Atlas Org',
      privateApiKey: '00000000-0000-4000-8000-000000000000',
      publicApiKey: 'abcdefgh',
    });
    lines.length = 0;
    const response = await org.client.request('POST', linkPath(), { linkToken });
    assert.equal(response.status, 503);
    assert.equal((response.json() as { errorCode: string }).errorCode, 'TARGET_UNREACHABLE');
    const warnings = logged().filter((line) => line.level === WARN && line.errorCode === 'TARGET_UNREACHABLE');
    assert.equal(warnings.length, 1, lines.join('\n'));
    assert.deepEqual(
      logged().filter((line) => line.level >= ERROR),
      [],
    );
  });

  it('logs a fault at error, with its stack, and answers UNEXPECTED_ERROR', async () => {
    const links = server.livelink.services.migrationLinks;
    links.status = async () => {
      throw new Error('the disk is on fire');
    };
    try {
      lines.length = 0;
      const response = await org.client.request('GET', `${linkPath()}/status`);
      assert.equal(response.status, 500);
      assert.equal((response.json() as { errorCode: string }).errorCode, 'UNEXPECTED_ERROR');
      const errors = logged().filter((line) => line.level === ERROR);
      assert.equal(errors.length, 1, lines.join('\n'));
      assert.equal(errors[0]?.msg, 'unexpected error');
      assert.equal(errors[0]?.err?.message, 'the disk is on fire');
      assert.match(errors[0]?.err?.stack ?? '', /the disk is on fire/);
    } finally {
      delete (links as { status?: unknown }).status;
    }
  });

  it('writes nothing at warn or above for a 4xx', async () => {
    lines.length = 0;
    assert.equal((await org.client.request('POST', linkPath(), { linkToken: 'not a token' })).status, 400);
    assert.equal((await org.client.request('GET', '/api/public/v1.0/orgs/nothex')).status, 400);
    assert.deepEqual(
      logged().filter((line) => line.level >= WARN),
      [],
    );
  });
});
