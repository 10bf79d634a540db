/**
 * The web pages at the HTTP level, without a browser: headers, cookies, sessions, CSRF refusals, the
 * sign-in throttle, role and organization checks, and validation on the server.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { serializeCookie } from '../../src/features/web/cookies.js';
import { startLivelink, type RunningLivelink } from '../support/livelink-fixture.js';
import { csrfOf, textOf, WebClient } from './web-client.js';

const PASSWORD = 'owner password 1';

describe('web pages over HTTP', () => {
  let server: RunningLivelink;
  let orgId: string;
  let otherOrgId: string;

  before(async () => {
    // 127.0.0.1 is a trusted proxy, so a test can speak from other addresses with X-Forwarded-For.
    server = await startLivelink({ role: 'both', 'trusted-proxy': '127.0.0.1' });
    const { organizations, users } = server.livelink.services;
    orgId = (await organizations.createOrganization('Atlas Org')).id;
    otherOrgId = (await organizations.createOrganization('Another Org')).id;
    await users.create({ orgId, username: 'owner', role: 'ORG_OWNER', password: PASSWORD });
    await users.create({ orgId, username: 'reader', role: 'ORG_READ_ONLY', password: 'reader password' });
    await users.create({ orgId: otherOrgId, username: 'stranger', role: 'ORG_OWNER', password: 'stranger password' });
  });
  after(() => server.close());

  const signedIn = async (username = 'owner', password = PASSWORD, address = '198.51.100.1'): Promise<WebClient> => {
    const client = new WebClient(server.url, { 'x-forwarded-for': address });
    const answer = await client.login(username, password);
    assert.equal(answer.status, 303, textOf(answer.text));
    return client;
  };

  it('serves the sign-in page with the security headers and an HttpOnly, SameSite double-submit cookie', async () => {
    const response = await new WebClient(server.url).get('/login');
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.match(response.headers.get('content-security-policy') ?? '', /^default-src 'self'(;|$)/);
    assert.doesNotMatch(response.headers.get('content-security-policy') ?? '', /unsafe-inline/);
    assert.equal(response.headers.get('x-frame-options'), 'DENY');
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const [cookie = ''] = response.headers.getSetCookie();
    assert.match(cookie, /^livelink_login=[A-Za-z0-9_-]{43}; Path=\/login; HttpOnly; SameSite=Lax; Max-Age=3600$/);
    assert.equal(cookie.split('=')[1]?.split(';')[0], csrfOf(response.text));
    assert.match(response.text, /<label for="username">Username<\/label>/);
    assert.match(response.text, /<label for="password">Password<\/label>/);
  });

  it('loads every asset from livelink itself, with no inline script or style and nothing from another host', async () => {
    const client = await signedIn();
    const pages = [
      await new WebClient(server.url).get('/login'),
      await client.get(`/orgs/${orgId}/settings`),
      await client.get(`/orgs/${orgId}/live-migration`),
    ];
    for (const page of pages) {
      const references = [...page.text.matchAll(/\b(?:src|href|action)="([^"]*)"/g)].map((m) => m[1] ?? '');
      assert.ok(references.length > 0);
      for (const reference of references) assert.match(reference, /^(\/(?!\/)|#)/, `a local reference: ${reference}`);
      assert.doesNotMatch(page.text, /<script(?![^>]*\bsrc=)/, 'no inline script');
      assert.doesNotMatch(page.text, /<style|\sstyle="|\son[a-z]+="/, 'no inline style or handler');
    }
    const assets = [...(pages[1]?.text ?? '').matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1] ?? '');
    assert.deepEqual(new Set(assets.map((a) => a.split('.').pop())), new Set(['svg', 'css', 'js']));
    for (const path of new Set(assets)) {
      const asset = await client.get(path);
      assert.equal(asset.status, 200, path);
      assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      assert.match(asset.headers.get('content-type') ?? '', /^(text\/css|text\/javascript|image\/svg\+xml)/);
      // The script builds an http://[...] URL only to check an IPv6 address; the SVG names its namespace.
      assert.doesNotMatch(
        asset.text,
        /(?:url\(|@import|\bimport\s|fetch\(|XMLHttpRequest|https?:\/\/(?!www\.w3\.org\/2000\/svg"|\[))/,
        `${path} fetches nothing else`,
      );
    }
    assert.equal((await client.get('/assets/livelink.000000000000.css')).status, 404);
  });

  it('signs in: a fresh HttpOnly, SameSite=Lax session cookie, stored only as its SHA-256', async () => {
    const client = new WebClient(server.url);
    const answer = await client.login('Owner', PASSWORD);
    assert.equal(answer.status, 303);
    assert.equal(answer.location, `/orgs/${orgId}/live-migration`, 'an organization without projects lands on the Atlas page');
    const cookies = answer.headers.getSetCookie();
    assert.match(cookies[0] ?? '', /^livelink_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax$/, 'no Secure over plain HTTP');
    assert.match(cookies[1] ?? '', /^livelink_login=; Path=\/login; HttpOnly; SameSite=Lax; Max-Age=0$/);
    const id = client.cookies.get('livelink_session') ?? '';
    const rows = await server.livelink.database.db.selectFrom('web_sessions').select('id_hash').execute();
    assert.ok(rows.some((r) => r.id_hash === createHash('sha256').update(id).digest('hex')));
    assert.ok(rows.every((r) => r.id_hash !== id));
    assert.equal((await client.get('/')).location, `/orgs/${orgId}/live-migration`);
    assert.equal((await client.get('/login')).location, `/orgs/${orgId}/live-migration`, 'signed in already');
    assert.match(serializeCookie('livelink_session', 'x', { path: '/', secure: true }), /; Secure$/);
  });

  it('sends a visitor without a session to sign in, and back to the page afterwards', async () => {
    const client = new WebClient(server.url);
    assert.equal((await client.get('/')).location, '/login');
    const page = await client.get(`/orgs/${orgId}/settings`);
    assert.equal(page.status, 303);
    assert.equal(page.location, `/login?next=${encodeURIComponent(`/orgs/${orgId}/settings`)}`);
    const answer = await client.login('owner', PASSWORD, `/orgs/${orgId}/settings`);
    assert.equal(answer.location, `/orgs/${orgId}/settings`);
    const evil = new WebClient(server.url);
    assert.equal((await evil.login('owner', PASSWORD, '//evil.example/')).location, `/orgs/${orgId}/live-migration`, 'no open redirect');
  });

  it('refuses a sign-in form without its double-submit token', async () => {
    const client = new WebClient(server.url);
    const answer = await client.post('/login', { csrf: 'A'.repeat(43), username: 'owner', password: PASSWORD, next: '' });
    assert.equal(answer.status, 403);
    assert.match(textOf(answer.text), /The sign-in form expired/);
    assert.equal(client.cookies.has('livelink_session'), false);
  });

  it('refuses every state-changing POST without the session’s CSRF token, or from another site, and changes nothing', async () => {
    const client = await signedIn();
    const page = await client.get(`/orgs/${orgId}/live-migration`);
    const path = `/orgs/${orgId}/live-migration/link-tokens`;
    const count = async (): Promise<number> => (await server.livelink.database.db.selectFrom('link_tokens').select('id').execute()).length;
    const before = await count();
    for (const csrf of [undefined, '', 'x'.repeat(43), csrfOf((await (await signedIn()).get(`/orgs/${orgId}/settings`)).text)]) {
      const answer = await client.post(path, { ...(csrf === undefined ? {} : { csrf }), accessListIps: '' });
      assert.equal(answer.status, 403, `csrf ${csrf}`);
      assert.match(textOf(answer.text), /This form has expired or did not come from livelink/);
    }
    const crossSite = await client.post(path, { csrf: csrfOf(page.text), accessListIps: '' }, { 'sec-fetch-site': 'cross-site' });
    assert.equal(crossSite.status, 403);
    const json = await client.post(path, {}, { 'content-type': 'application/json' });
    assert.equal(json.status, 415);
    for (const action of ['revoke', 'link-tokens'])
      assert.equal((await client.post(`/orgs/${orgId}/live-migration/${action}`, {})).status, 403);
    assert.equal((await client.post(`/orgs/${orgId}/settings/connect`, { linkToken: 'x' })).status, 403);
    assert.equal((await client.post('/logout', {})).status, 403);
    assert.equal(await count(), before);
    const twice = await client.post(path, { csrf: csrfOf(page.text) }, {});
    assert.equal(twice.status, 200, 'the right token works');
  });

  it('refuses a field sent twice', async () => {
    const client = await signedIn();
    const page = await client.get(`/orgs/${orgId}/live-migration`);
    const csrf = csrfOf(page.text);
    const answer = await fetch(new URL(`/orgs/${orgId}/live-migration/link-tokens`, server.url), {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie: `livelink_session=${client.cookies.get('livelink_session')}`,
      },
      body: `csrf=${csrf}&accessListIps=10.0.0.1&accessListIps=0.0.0.0/0`,
    });
    assert.equal(answer.status, 400);
    assert.match(textOf(await answer.text()), /Invalid attribute accessListIps specified: the field was sent more than once/);
  });

  it('validates access-list entries on the server too: a clear message, the text kept, no token made', async () => {
    const client = await signedIn();
    const page = await client.get(`/orgs/${orgId}/live-migration`);
    const before = (await server.livelink.services.apiKeys.list(orgId)).length;
    const answer = await client.submit(page, `/orgs/${orgId}/live-migration/link-tokens`, { accessListIps: '203.0.113.10\n10.0.0.300' });
    assert.equal(answer.status, 400);
    assert.match(
      textOf(answer.text),
      /Could not generate a link-token\. Invalid attribute accessList specified: "10\.0\.0\.300" is not an IP address or CIDR block\./,
    );
    assert.match(answer.text, /<textarea id="access-list"[^>]*>203\.0\.113\.10\n10\.0\.0\.300<\/textarea>/);
    assert.equal((await server.livelink.services.apiKeys.list(orgId)).length, before);
    assert.doesNotMatch(answer.text, /eyJvcmdJZCI6/);
  });

  it('shows a read-only user the status without controls, and refuses a hand-made POST', async () => {
    const client = await signedIn('reader', 'reader password');
    for (const path of [`/orgs/${orgId}/settings`, `/orgs/${orgId}/live-migration`]) {
      const page = await client.get(path);
      assert.equal(page.status, 200);
      assert.match(textOf(page.text), /You are signed in as Organization Read Only/);
      assert.doesNotMatch(page.text, /name="linkToken"|name="accessListIps"|\/revoke"/);
    }
    const page = await client.get(`/orgs/${orgId}/settings`);
    const answer = await client.submit(page, `/orgs/${orgId}/live-migration/link-tokens`, { accessListIps: '' });
    assert.equal(answer.status, 403);
    assert.match(textOf(answer.text), /Current user is not authorized to perform this action\./);
    assert.equal((await client.get(`/orgs/${orgId}/live-migration/revoke`)).status, 403);
  });

  it('answers "not found" for another organization’s pages', async () => {
    const client = await signedIn();
    for (const path of [`/orgs/${otherOrgId}/settings`, `/orgs/${otherOrgId}/live-migration`, '/orgs/not-an-id/settings']) {
      const page = await client.get(path);
      assert.equal(page.status, 404, path);
      assert.match(textOf(page.text), /No organization with ID .* exists\./);
    }
  });

  it('throttles failed sign-ins per (username, address) without locking the account', async () => {
    const from = (address: string): WebClient => new WebClient(server.url, { 'x-forwarded-for': address });
    const attacker = from('203.0.113.66');
    for (let i = 0; i < 5; i += 1) {
      const answer = await attacker.login('owner', `wrong password ${i}`);
      assert.equal(answer.status, 401);
      assert.match(textOf(answer.text), /Wrong username or password\./);
      assert.equal(attacker.cookies.has('livelink_session'), false);
    }
    const blocked = await attacker.login('owner', PASSWORD);
    assert.equal(blocked.status, 429);
    assert.match(blocked.headers.get('retry-after') ?? '', /^\d+$/);
    assert.match(textOf(blocked.text), /Too many failed sign-in attempts for this username from this address\. Try again in \d+ seconds\./);
    assert.equal(attacker.cookies.has('livelink_session'), false, 'even the right password waits');
    assert.equal((await from('203.0.113.67').login('owner', PASSWORD)).status, 303, 'the account works from elsewhere');
    assert.equal((await attacker.login('reader', 'reader password')).status, 303, 'other users work from that address');
  });

  it('signs out: the session ends on the server, not only in the browser', async () => {
    const client = await signedIn();
    const id = client.cookies.get('livelink_session') ?? '';
    const page = await client.get(`/orgs/${orgId}/settings`);
    const answer = await client.submit(page, '/logout');
    assert.equal(answer.status, 303);
    assert.equal(answer.location, '/login?notice=signed-out');
    assert.equal(client.cookies.has('livelink_session'), false);
    const replay = new WebClient(server.url);
    replay.cookies.set('livelink_session', id);
    assert.equal((await replay.get(`/orgs/${orgId}/settings`)).status, 303);
    assert.match(textOf((await client.get('/login?notice=signed-out')).text), /You are signed out\./);
  });

  it('keeps the pages out of the Public API: digest is not asked, and the OpenAPI document does not list them', async () => {
    const paths = Object.keys((server.livelink.openApiDocument() as { paths: Record<string, unknown> }).paths);
    assert.ok(paths.length > 0);
    assert.ok(
      // The rehearsal control API is in the document too, under its own prefix.
      paths.every((p) => p.startsWith('/api/') || p.startsWith('/_livelink/control/') || p === '/health' || p === '/openapi.json'),
      paths.join(', '),
    );
    const page = await new WebClient(server.url).get('/login');
    assert.equal(page.headers.get('www-authenticate'), null);
  });
});

describe('web pages by role', () => {
  let source: RunningLivelink;
  let target: RunningLivelink;
  before(async () => {
    target = await startLivelink({ role: 'target' });
    source = await startLivelink({ role: 'source', 'target-url': target.url });
  });
  after(async () => {
    await source.close();
    await target.close();
  });

  it('serves only the source page in role source and only the target page in role target', async () => {
    for (const [server, here, absent] of [
      [source, 'settings', 'live-migration'],
      [target, 'live-migration', 'settings'],
    ] as const) {
      const org = await server.livelink.services.organizations.createOrganization('Org');
      await server.livelink.services.users.create({ orgId: org.id, username: 'someone', role: 'ORG_OWNER', password: 'password1' });
      const client = new WebClient(server.url);
      const answer = await client.login('someone', 'password1');
      assert.equal(answer.location, `/orgs/${org.id}/${here}`);
      // Browsers share cookies across ports: a source and a target on one host keep separate sign-ins.
      assert.deepEqual([...client.cookies.keys()], [`livelink_session_${server === source ? 'source' : 'target'}`]);
      const page = await client.get(`/orgs/${org.id}/${here}`);
      assert.equal(page.status, 200);
      assert.doesNotMatch(page.text, new RegExp(`/orgs/${org.id}/${absent}`), 'no link to a page this role lacks');
      assert.equal((await client.get(`/orgs/${org.id}/${absent}`)).status, 404);
    }
  });
});
