/**
 * The web pages in a real browser (Debian's Chromium, driven by playwright-core; never a downloaded
 * browser): the whole flow across a target and a source livelink, plus a wrong password, a read-only
 * user, a token pasted with stray whitespace and a garbage token. With LIVELINK_UPDATE_SCREENSHOTS=1 it
 * rewrites the README's screenshots in docs/screenshots/.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startLivelink, type RunningLivelink } from '../support/livelink-fixture.js';

const CHROMIUM = '/usr/bin/chromium';
// The README's screenshots are rewritten only when asked (LIVELINK_UPDATE_SCREENSHOTS=1), so that an
// ordinary test run leaves the work tree clean; otherwise they go to a temporary folder.
const SCREENSHOTS =
  process.env['LIVELINK_UPDATE_SCREENSHOTS'] === '1'
    ? fileURLToPath(new URL('../../docs/screenshots/', import.meta.url))
    : `${mkdtempSync(join(tmpdir(), 'livelink-screenshots-'))}/`;
const DESKTOP = { width: 1440, height: 900 };
const PHONE = { width: 375, height: 812 };

const skip = existsSync(CHROMIUM) ? false : `Chromium is not installed at ${CHROMIUM}: apt-get install -y chromium (see .ci/run)`;

describe('the web pages in Chromium', { skip }, () => {
  let target: RunningLivelink;
  let source: RunningLivelink;
  let browser: Browser;
  let targetOrgId: string;
  let sourceOrgId: string;
  let linkToken: string;
  const problems: string[] = [];

  before(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    target = await startLivelink({ role: 'target' });
    source = await startLivelink({ role: 'source', 'target-url': target.url });
    const atlas = target.livelink.services;
    targetOrgId = (await atlas.organizations.createOrganization('Acme Atlas')).id;
    await atlas.users.create({ orgId: targetOrgId, username: 'target-owner', role: 'ORG_OWNER', password: 'target password' });
    const om = source.livelink.services;
    sourceOrgId = (await om.organizations.createOrganization('Acme Ops Manager')).id;
    await om.users.create({ orgId: sourceOrgId, username: 'source-owner', role: 'ORG_OWNER', password: 'source password' });
    await om.users.create({ orgId: sourceOrgId, username: 'source-viewer', role: 'ORG_READ_ONLY', password: 'viewer password' });
    const projectId = (await om.organizations.createProject(sourceOrgId, 'Billing')).id;
    await om.organizations.createDeployment(projectId, {
      name: 'rs-billing',
      mongoDBVersion: '6.0.14',
      featureCompatibilityVersion: '6.0',
      managed: true,
      sharded: false,
      shardsSize: null,
      tlsEnabled: true,
      agentVersion: '12.0.33.7866-1',
      dbSizeBytes: 5_368_709_120,
      oplogSizeMB: 2048,
    });
    await om.organizations.addMigrationHost(projectId, 'mh1.acme.internal');

    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  after(async () => {
    await browser?.close();
    await source?.close();
    await target?.close();
  });

  /** A person's own browser window; anything fetched from elsewhere, a console error or a CSP report fails the test. */
  const windowOn = async (server: RunningLivelink): Promise<{ context: BrowserContext; page: Page }> => {
    const context = await browser.newContext({ viewport: DESKTOP });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    const page = await context.newPage();
    page.on('request', (request) => {
      if (!request.url().startsWith(`${server.url}/`)) problems.push(`request to ${request.url()}`);
    });
    // A page answered 401 or 400 on purpose is logged as "Failed to load resource"; a failing asset is caught here instead.
    page.on('response', (response) => {
      if (response.request().resourceType() !== 'document' && response.status() >= 400)
        problems.push(`${response.status()} for ${response.url()}`);
    });
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource: the server responded'))
        problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    return { context, page };
  };

  const screenshot = async (page: Page, name: string): Promise<void> => {
    await page.screenshot({ path: `${SCREENSHOTS}${name}.png`, fullPage: true });
  };

  /** Readable at 375 px: nothing wider than the screen, so no sideways scrolling of the page. */
  const fitsPhone = async (page: Page): Promise<void> => {
    await page.setViewportSize(PHONE);
    const width = Number(await page.evaluate('document.documentElement.scrollWidth'));
    assert.ok(width <= PHONE.width, `page is ${width} px wide at ${PHONE.width} px (${page.url()})`);
    await page.setViewportSize(DESKTOP);
  };

  const signIn = async (page: Page, username: string, password: string): Promise<void> => {
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  };

  let targetPage: Page;
  let sourcePage: Page;

  it('target: refuses a wrong password, then signs the owner in on the Live Migration page', async () => {
    ({ page: targetPage } = await windowOn(target));
    await targetPage.goto(`${target.url}/`);
    assert.equal(new URL(targetPage.url()).pathname, '/login');
    await screenshot(targetPage, 'login');
    await fitsPhone(targetPage);

    await signIn(targetPage, 'target-owner', 'not the password');
    await targetPage.getByRole('alert').filter({ hasText: 'Wrong username or password.' }).waitFor();
    assert.equal(new URL(targetPage.url()).pathname, '/login');
    assert.equal(await targetPage.getByLabel('Username').inputValue(), 'target-owner', 'the username is kept');
    assert.equal(await targetPage.getByLabel('Password').inputValue(), '', 'the password is not');

    await targetPage.getByLabel('Password').fill('target password');
    await targetPage.getByRole('button', { name: 'Sign in' }).click();
    await targetPage.getByRole('heading', { name: 'Generate Link-Token' }).waitFor();
    assert.equal(new URL(targetPage.url()).pathname, `/orgs/${targetOrgId}/live-migration`);
    await screenshot(targetPage, 'target-live-migration');
    await fitsPhone(targetPage);
  });

  it('target: checks the access list in the page, then shows the token once with a copy button and a warning', async () => {
    const field = targetPage.getByLabel('Ops Manager IP addresses or CIDR blocks');
    await field.fill('127.0.0.1, 10.0.0.300');
    await targetPage.getByRole('button', { name: 'Generate Link-Token' }).click();
    const error = targetPage.locator('#access-list-error');
    await error.waitFor();
    assert.equal(await error.textContent(), '10.0.0.300 is not an IP address or CIDR block.');
    assert.equal(await field.getAttribute('aria-invalid'), 'true');
    assert.equal(new URL(targetPage.url()).pathname, `/orgs/${targetOrgId}/live-migration`, 'the form was not sent');
    assert.deepEqual(await target.livelink.services.apiKeys.list(targetOrgId), [], 'no key, so no token, was made');

    await field.fill('127.0.0.1\n::1');
    assert.equal(await error.isHidden(), true, 'the message goes once the entries are right');
    await targetPage.getByRole('button', { name: 'Generate Link-Token' }).click();
    await targetPage.getByRole('heading', { name: 'Your link-token' }).waitFor();
    await targetPage.getByText('Copy this link-token now: it will not be shown again.').waitFor();
    linkToken = await targetPage.getByLabel('Link-token', { exact: true }).inputValue();
    assert.match(linkToken, /^[A-Za-z0-9+/]+={0,2}$/);
    assert.equal((JSON.parse(Buffer.from(linkToken, 'base64').toString('utf8')) as { orgId: string }).orgId, targetOrgId);

    await targetPage.getByRole('button', { name: 'Copy link-token' }).click();
    await targetPage.getByRole('status').filter({ hasText: 'Copied to the clipboard.' }).waitFor();
    assert.equal(await targetPage.evaluate('navigator.clipboard.readText()'), linkToken);
    await screenshot(targetPage, 'target-link-token');

    await targetPage.getByRole('link', { name: 'Done' }).click();
    await targetPage.getByRole('heading', { name: 'Generate Link-Token' }).waitFor();
    assert.doesNotMatch(await targetPage.content(), new RegExp(linkToken.slice(0, 40).replace(/[+/]/g, '\\$&')), 'never shown again');
  });

  it('source: signs in with the keyboard; a garbage token gets a clear message and nothing is stored', async () => {
    ({ page: sourcePage } = await windowOn(source));
    await sourcePage.goto(`${source.url}/orgs/${sourceOrgId}/settings`);
    await sourcePage.getByLabel('Username').focus();
    await sourcePage.keyboard.type('source-owner');
    await sourcePage.keyboard.press('Tab');
    await sourcePage.keyboard.type('source password');
    await sourcePage.keyboard.press('Enter');
    await sourcePage.getByRole('heading', { name: 'Live Migration: Connect to Atlas' }).waitFor();
    assert.equal(new URL(sourcePage.url()).pathname, `/orgs/${sourceOrgId}/settings`, 'back to the page asked for');
    assert.equal(await sourcePage.locator('.badge').textContent(), 'NOT_SYNCED');
    await screenshot(sourcePage, 'source-connect');

    await sourcePage.getByLabel('Link-token', { exact: true }).fill('this is not a link-token');
    await sourcePage.getByRole('button', { name: 'Connect to Atlas' }).click();
    const alert = sourcePage.getByRole('alert');
    await alert.waitFor();
    assert.equal(
      (await alert.innerText()).replace(/\s+/g, ' ').trim(),
      'Could not connect to Atlas. Nothing was stored. Invalid attribute linkToken specified: the link-token is not base64: copy the whole token that Atlas generated.',
    );
    assert.equal(await source.livelink.services.migrationLinks.describe(sourceOrgId), undefined);
    await screenshot(sourcePage, 'source-garbage-token');
  });

  it('source: a token pasted with stray whitespace connects, and the status is SYNCED', async () => {
    await sourcePage.getByLabel('Link-token', { exact: true }).fill(`  \n${linkToken}\n\t `);
    await sourcePage.getByRole('button', { name: 'Connect to Atlas' }).click();
    await sourcePage.getByRole('status').filter({ hasText: 'Connected to Atlas.' }).waitFor();
    assert.equal(await sourcePage.locator('.badge').textContent(), 'SYNCED');
    await sourcePage.getByText('Acme Atlas').first().waitFor();
    assert.equal(await sourcePage.getByRole('button', { name: 'Refresh' }).isVisible(), true);
    assert.equal((await source.livelink.services.migrationLinks.describe(sourceOrgId))?.status, 'SYNCED');
    await screenshot(sourcePage, 'source-synced');
    await sourcePage.setViewportSize(PHONE);
    await screenshot(sourcePage, 'source-synced-375');
    await fitsPhone(sourcePage);
  });

  it('target: shows the project and deployment the source pushed', async () => {
    await targetPage.reload();
    const table = targetPage.getByRole('table');
    await table.waitFor();
    const text = (await table.innerText()).replace(/\s+/g, ' ');
    for (const expected of ['Billing', 'rs-billing', 'Replica set', '6.0.14', '6.0', 'On', '5.0 GB', 'mh1.acme.internal']) {
      assert.ok(text.includes(expected), `${expected} in ${text}`);
    }
    await screenshot(targetPage, 'target-available-projects');
    await fitsPhone(targetPage);
  });

  it('source: a read-only user sees the status and no controls', async () => {
    const { page, context } = await windowOn(source);
    await page.goto(`${source.url}/login`);
    await signIn(page, 'source-viewer', 'viewer password');
    await page.getByRole('heading', { name: 'Live Migration: Connect to Atlas' }).waitFor();
    assert.equal(await page.locator('.badge').textContent(), 'SYNCED');
    await page.getByText('Only an Organization Owner can connect to Atlas, refresh or disconnect.').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Refresh' }).count(), 0);
    assert.equal(await page.getByRole('link', { name: /Disconnect/ }).count(), 0);
    assert.equal(await page.getByRole('textbox').count(), 0);
    await screenshot(page, 'source-read-only');
    await context.close();
  });

  it('target: revokes after a confirmation', async () => {
    await targetPage.getByRole('link', { name: 'Revoke link-tokens…' }).click();
    await targetPage.getByRole('heading', { name: 'Revoke link-tokens?' }).waitFor();
    await screenshot(targetPage, 'target-revoke-confirm');
    await targetPage.getByRole('button', { name: 'Revoke' }).click();
    await targetPage.getByRole('status').filter({ hasText: 'Link-tokens revoked.' }).waitFor();
    await targetPage.getByText('No Ops Manager organization has sent projects yet.').waitFor();
  });

  it('source: Refresh after the revocation shows NOT_SYNCED and the error in words', async () => {
    await sourcePage.getByRole('button', { name: 'Refresh' }).click();
    await sourcePage.getByRole('status').filter({ hasText: 'Refresh failed' }).waitFor();
    assert.equal(await sourcePage.locator('.badge').textContent(), 'NOT_SYNCED');
    const lastError = await sourcePage.locator('[data-last-error]').textContent();
    assert.match(lastError ?? '', /^The Atlas organization refused the link-token: its API key is unknown or revoked/);
    await screenshot(sourcePage, 'source-not-synced');
  });

  it('source: disconnects after a confirmation, with the keyboard, and signs out', async () => {
    await sourcePage.getByRole('link', { name: 'Disconnect…' }).click();
    await sourcePage.getByRole('heading', { name: 'Disconnect from Atlas?' }).waitFor();
    await screenshot(sourcePage, 'source-disconnect-confirm');
    await sourcePage.getByRole('button', { name: 'Disconnect' }).focus();
    await sourcePage.keyboard.press('Enter');
    await sourcePage.getByRole('status').filter({ hasText: 'Disconnected from Atlas.' }).waitFor();
    await sourcePage.getByRole('button', { name: 'Connect to Atlas' }).waitFor();
    assert.equal(await source.livelink.services.migrationLinks.describe(sourceOrgId), undefined);

    await sourcePage.getByRole('button', { name: 'Sign out' }).click();
    await sourcePage.getByRole('status').filter({ hasText: 'You are signed out.' }).waitFor();
    await sourcePage.goto(`${source.url}/orgs/${sourceOrgId}/settings`);
    assert.equal(new URL(sourcePage.url()).pathname, '/login');
  });

  it('loaded nothing from elsewhere and logged no error (the Content-Security-Policy blocked nothing of ours)', () => {
    assert.deepEqual(problems, []);
  });
});
