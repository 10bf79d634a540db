/**
 * /livez, /readyz and /metrics on a started server, over real HTTP: the probes' exact bodies, readiness
 * failing for real (a SQLite file whose migrations are behind, a PostgreSQL database that goes away), and
 * the Prometheus exposition after real digest requests (a good answer, a bad one, a stale nonce).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { freshPostgresDatabase, POSTGRES_SKIP_REASON } from '../support/postgres.js';
import { startLivelink, type OrgWithKey, type RunningLivelink } from '../support/livelink-fixture.js';

const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

async function get(url: string): Promise<{ status: number; contentType: string | null; text: string }> {
  const response = await fetch(url);
  return { status: response.status, contentType: response.headers.get('content-type'), text: await response.text() };
}

/**
 * Checks the text exposition format line by line (what Prometheus' parser takes): every sample belongs to a
 * family announced by # TYPE, names and labels are well formed, values are numbers. Returns the
 * sample lines.
 */
function parseExposition(text: string): string[] {
  assert.ok(text.endsWith('\n'), 'the exposition ends with a newline');
  const families = new Map<string, string>();
  const samples: string[] = [];
  for (const line of text.slice(0, -1).split('\n')) {
    const help = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+$/.exec(line);
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    // Empty lines are allowed between families (prom-client writes one after each).
    if (help !== null || line === '') continue;
    if (type !== null) {
      families.set(type[1] as string, type[2] as string);
      continue;
    }
    const sample =
      /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*)?\})? (\S+)$/.exec(
        line,
      );
    assert.ok(sample !== null, `not a sample line: ${JSON.stringify(line)}`);
    const name = sample[1] as string;
    const family = families.has(name) ? name : name.replace(/_(bucket|sum|count|total|created)$/, '');
    assert.ok(families.has(family) || families.has(name), `${name} has no # TYPE`);
    assert.ok(!Number.isNaN(Number(sample[4])) || /^([+-]?inf|nan)$/i.test(sample[4] as string), `${line}: not a number`);
    samples.push(line);
  }
  return samples;
}

describe('health probes and metrics', () => {
  let server: RunningLivelink;
  let clockMs = Date.now();
  let org: OrgWithKey;

  before(async () => {
    server = await startLivelink({}, {}, { livelink: { now: () => new Date(clockMs) } });
    org = await server.organizationWithKey('Metrics Org');
  });
  after(() => server.close());

  describe('/livez and /readyz', () => {
    it('answers ok in plain text, and lists each check with ?verbose', async () => {
      for (const path of ['/livez', '/readyz']) {
        const plain = await get(`${server.url}${path}`);
        assert.deepEqual(plain, { status: 200, contentType: 'text/plain; charset=utf-8', text: 'ok' });
      }
      assert.equal((await get(`${server.url}/livez?verbose`)).text, '[+]ping ok\nlivez check passed\n');
      assert.equal((await fetch(`${server.url}/livez`, { method: 'HEAD' })).status, 200);
      assert.equal((await get(`${server.url}/readyz?verbose`)).text, '[+]database ok\n[+]migrations ok\nreadyz check passed\n');
      assert.equal((await get(`${server.url}/readyz/database?verbose`)).text, '[+]database ok\nreadyz check passed\n');
      assert.equal((await get(`${server.url}/readyz/migrations`)).text, 'ok');
      const unknown = await get(`${server.url}/readyz/disk`);
      assert.equal(unknown.status, 404);
      assert.equal(JSON.parse(unknown.text).errorCode, 'RESOURCE_NOT_FOUND');
    });

    it('fails readiness, naming the migration, while the SQLite file is behind a migration, and recovers', async () => {
      const db = server.livelink.database.db;
      const { rows } = await sql<{
        name: string;
        timestamp: string;
      }>`select name, timestamp from kysely_migration order by name desc limit 1`.execute(db);
      const last = rows[0];
      assert.ok(last !== undefined);
      await sql`delete from kysely_migration where name = ${last.name}`.execute(db);
      try {
        const behind = await get(`${server.url}/readyz`);
        assert.equal(behind.status, 503);
        assert.equal(behind.contentType, 'text/plain; charset=utf-8');
        assert.equal(behind.text, `[+]database ok\n[-]migrations failed: 1 not applied: ${last.name}\nreadyz check failed\n`);
        assert.equal((await get(`${server.url}/readyz/database`)).status, 200);
        assert.equal((await get(`${server.url}/livez`)).status, 200);
      } finally {
        await sql`insert into kysely_migration (name, timestamp) values (${last.name}, ${last.timestamp})`.execute(db);
      }
      assert.equal((await get(`${server.url}/readyz`)).text, 'ok');
    });

    it('fails readiness when its PostgreSQL database goes away, and stays live', { skip: POSTGRES_SKIP_REASON }, async () => {
      const database = await freshPostgresDatabase();
      const env = { LIVELINK_ENCRYPTION_KEY: randomBytes(32).toString('base64'), LIVELINK_NONCE_KEY: randomBytes(32).toString('base64') };
      const logLines: string[] = [];
      const node = await startLivelink({ 'database-url': database.url }, env, { logLines });
      try {
        assert.equal((await get(`${node.url}/readyz`)).text, 'ok');
        await database.drop();
        const gone = await get(`${node.url}/readyz`);
        assert.equal(gone.status, 503);
        // What the driver says names the database and its host: that is for the log, not for an open endpoint.
        assert.equal(
          gone.text,
          '[-]database failed: reason withheld (see the log)\n[-]migrations failed: reason withheld (see the log)\nreadyz check failed\n',
        );
        assert.ok(logLines.some((line) => line.includes('"event":"not-ready"') && line.includes('"check":"database"')));
        assert.deepEqual(await get(`${node.url}/livez`), { status: 200, contentType: 'text/plain; charset=utf-8', text: 'ok' });
      } finally {
        await node.close();
        await database.drop();
      }
    });
  });

  describe('/metrics', () => {
    it('counts digest answers by route and status, and digest failures by reason, in a valid exposition', async () => {
      const orgPath = `/api/public/v1.0/orgs/${org.orgId}`;
      // A good answer: the challenge, then 200.
      assert.equal((await org.client.request('GET', orgPath)).status, 200);
      // A bad one: the challenge, then 401 for a wrong private key.
      const wrongKey = server.client(org.publicKey, 'not-the-private-key');
      assert.equal((await wrongKey.request('GET', orgPath)).status, 401);
      // A stale nonce: right credentials on a nonce that has since expired get stale=true.
      const challenge = await fetch(`${server.url}${orgPath}`);
      const nonce = /nonce="([^"]+)"/.exec(challenge.headers.get('www-authenticate') ?? '')?.[1] ?? '';
      clockMs += 301_000;
      const stale = await fetch(`${server.url}${orgPath}`, { headers: { authorization: org.client.answer('GET', orgPath, nonce) } });
      assert.equal(stale.status, 401);
      assert.match(stale.headers.get('www-authenticate') ?? '', /stale=true/);
      // A path no route serves, outside the API.
      assert.equal((await fetch(`${server.url}/no/such/page`)).status, 404);

      const scraped = await get(`${server.url}/metrics`);
      assert.equal(scraped.status, 200);
      assert.equal(scraped.contentType, PROMETHEUS_TEXT);
      const samples = parseExposition(scraped.text);
      const has = (line: string) =>
        assert.ok(samples.includes(line), `${line} is not in\n${samples.filter((s) => s.startsWith('livelink_')).join('\n')}`);
      has('livelink_http_requests_total{route="digest-challenge",method="GET",status="401"} 3');
      has('livelink_http_requests_total{route="getOrganization",method="GET",status="200"} 1');
      has('livelink_http_requests_total{route="getOrganization",method="GET",status="401"} 2');
      has('livelink_http_requests_total{route="unmatched",method="GET",status="404"} 1');
      has('livelink_digest_failures_total{reason="bad-response"} 1');
      has('livelink_digest_failures_total{reason="expired"} 1');
      has('livelink_digest_failures_total{reason="replay"} 0');
      has('livelink_http_request_duration_seconds_count{route="getOrganization",method="GET"} 3');
      // The probes of the test before, by their names.
      has('livelink_http_requests_total{route="livez",method="GET",status="200"} 3');
      has('livelink_http_requests_total{route="livez",method="HEAD",status="200"} 1');
      // Default process metrics, from prom-client.
      assert.ok(samples.some((line) => line.startsWith('process_cpu_seconds_total ')));
      assert.ok(samples.some((line) => line.startsWith('nodejs_eventloop_lag_seconds ')));

      // The scrape itself was counted once it was answered.
      assert.ok(
        parseExposition((await get(`${server.url}/metrics`)).text).includes(
          'livelink_http_requests_total{route="metrics",method="GET",status="200"} 1',
        ),
      );
    });

    it('serves loopback clients only by default; --metrics public serves everyone, --metrics off nobody', async () => {
      // A client elsewhere, as the edge sees it: through a trusted proxy that forwards its address.
      const [proxied, open, off] = await Promise.all([
        startLivelink({ 'trusted-proxy': '127.0.0.1' }),
        startLivelink({ 'trusted-proxy': '127.0.0.1', metrics: 'public' }),
        startLivelink({ metrics: 'off' }),
      ]);
      try {
        const elsewhere = { headers: { 'x-forwarded-for': '203.0.113.7' } };
        const refused = await fetch(`${proxied.url}/metrics`, elsewhere);
        assert.equal(refused.status, 403);
        assert.equal(refused.headers.get('content-type'), 'application/json');
        assert.deepEqual(await refused.json(), {
          detail:
            'IP address 203.0.113.7 is not allowed to read the metrics: they are served to this machine only unless livelink runs with --metrics public.',
          error: 403,
          errorCode: 'IP_ADDRESS_NOT_ON_ACCESS_LIST',
          parameters: ['203.0.113.7'],
          reason: 'Forbidden',
        });
        assert.equal((await fetch(`${proxied.url}/metrics`)).status, 200);
        const served = await fetch(`${open.url}/metrics`, elsewhere);
        assert.equal(served.status, 200);
        assert.equal(served.headers.get('content-type'), PROMETHEUS_TEXT);
        await served.text();
        assert.equal((await fetch(`${off.url}/metrics`)).status, 404);
        // Each livelink has its own registry: the others' scrapes are not in this one.
        const own = parseExposition((await get(`${open.url}/metrics`)).text);
        assert.ok(own.includes('livelink_http_requests_total{route="metrics",method="GET",status="200"} 1'));
      } finally {
        await Promise.all([proxied.close(), open.close(), off.close()]);
      }
    });
  });
});
