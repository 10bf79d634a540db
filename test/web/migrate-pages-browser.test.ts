/**
 * A real push live migration driven from the target's Live Migration page in Chromium (Debian's,
 * through playwright-core): two SecantusDB servers (the source deployment and the destination cluster),
 * one livelink in role `both` with the organizations linked, and `livelink migration-host run` as a
 * process of its own. The owner picks the deployment, the host and the cluster, validates, starts,
 * watches the page refresh itself until the migration is ready, confirms that writes stopped and cuts
 * over: COMPLETE, and the destination holds the source's documents. With LIVELINK_UPDATE_SCREENSHOTS=1
 * it rewrites the README's migration screenshots in docs/screenshots/.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { MongoClient } from 'mongodb';
import type { Browser, Page } from 'playwright-core';
import { startLivelink, type RunningLivelink } from '../support/livelink-fixture.js';
import { MONGODB_SERVERS_SKIP_REASON, startMongoServers, type MongoTestServer } from '../support/mongodb-servers.js';
import { waitFor } from '../support/wait-for.js';

const CHROMIUM = '/usr/bin/chromium';
const CLI = fileURLToPath(new URL('../migration/migration-host-cli.ts', import.meta.url));
const SCREENSHOTS =
  process.env['LIVELINK_UPDATE_SCREENSHOTS'] === '1'
    ? fileURLToPath(new URL('../../docs/screenshots/', import.meta.url))
    : `${mkdtempSync(join(tmpdir(), 'livelink-screenshots-'))}/`;
const DESKTOP = { width: 1440, height: 900 };
const PHONE = { width: 375, height: 812 };
const HOSTNAME = 'mh1.acme.internal';
const DOCUMENTS = 2000;

const skip = existsSync(CHROMIUM)
  ? MONGODB_SERVERS_SKIP_REASON
  : `Chromium is not installed at ${CHROMIUM}: apt-get install -y chromium (see .ci/run)`;

describe('a live migration from the target page in Chromium', { skip }, () => {
  let sourceDb: MongoTestServer;
  let destinationDb: MongoTestServer;
  let server: RunningLivelink;
  let browser: Browser;
  let host: ChildProcess;
  let hostExited: Promise<unknown>;
  let hostOutput = '';
  let stateDir: string;
  let targetOrgId: string;
  let atlasProjectId: string;
  let sourceProjectId: string;
  let page: Page;
  const problems: string[] = [];

  before(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    [sourceDb, destinationDb] = (await startMongoServers(2)) as [MongoTestServer, MongoTestServer];
    const client = new MongoClient(sourceDb.url);
    await client
      .db('shop')
      .collection<{ _id: number; item: string; quantity: number }>('orders')
      .insertMany(Array.from({ length: DOCUMENTS }, (_, i) => ({ _id: i, item: `item ${i}`, quantity: i % 7 })));
    await client
      .db('shop')
      .collection('customers')
      .insertMany([{ name: 'Ada' }, { name: 'Grace' }]);
    await client.close();

    server = await startLivelink();
    const { organizations, users, clusters, migrationHosts, linkTokens, migrationLinks } = server.livelink.services;
    const atlas = await organizations.createOrganization('Acme Atlas');
    targetOrgId = atlas.id;
    await users.create({ orgId: targetOrgId, username: 'target-owner', role: 'ORG_OWNER', password: 'target password' });
    atlasProjectId = (await organizations.createProject(targetOrgId, 'Production')).id;
    await clusters.create(atlasProjectId, { name: 'Cluster0', connectionString: destinationDb.url });

    const ops = await organizations.createOrganization('Acme Ops Manager');
    sourceProjectId = (await organizations.createProject(ops.id, 'Billing')).id;
    await organizations.createDeployment(
      sourceProjectId,
      {
        name: 'rs-billing',
        mongoDBVersion: '8.2.11',
        featureCompatibilityVersion: '8.2',
        managed: true,
        sharded: false,
        shardsSize: null,
        tlsEnabled: false,
        agentVersion: null,
        dbSizeBytes: null,
        oplogSizeMB: null,
      },
      sourceDb.url,
    );
    const added = await migrationHosts.add(sourceProjectId, HOSTNAME);
    assert.ok(added.apiKey !== undefined);
    assert.equal(await migrationLinks.connect(ops, await linkTokens.createToken(atlas, [])), 'SYNCED');

    stateDir = mkdtempSync(join(tmpdir(), 'livelink-migration-host-'));
    host = spawn(
      process.execPath,
      [
        ...['--import', 'tsx', CLI, 'migration-host', 'run', '--source-url', server.url, '--group', sourceProjectId],
        ...['--hostname', HOSTNAME, '--state-dir', stateDir, '--poll-interval', '0.2', '--batch-size', '500'],
      ],
      {
        env: { ...process.env, LIVELINK_MIGRATION_HOST_KEY: `${added.apiKey.apiKey.publicKey}:${added.apiKey.privateKey}` },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    host.stdout?.on('data', (chunk: Buffer) => (hostOutput += chunk.toString()));
    host.stderr?.on('data', (chunk: Buffer) => (hostOutput += chunk.toString()));
    hostExited = new Promise((resolve) => host.once('exit', resolve));
    // The host's first poll is its heartbeat: a validation before it would fail at once, saying the host is not running.
    await waitFor(
      async () => (await server.livelink.database.db.selectFrom('migration_host_heartbeats').select('hostname').execute()).length > 0,
      `the migration host's first poll (${hostOutput})`,
      20_000,
    );

    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking'],
    });
    const context = await browser.newContext({ viewport: DESKTOP });
    page = await context.newPage();
    page.on('request', (request) => {
      if (!request.url().startsWith(`${server.url}/`)) problems.push(`request to ${request.url()}`);
    });
    page.on('response', (response) => {
      if (response.request().resourceType() !== 'document' && response.status() >= 400)
        problems.push(`${response.status()} for ${response.url()}`);
    });
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  });

  after(async () => {
    await browser?.close();
    if (host !== undefined && host.exitCode === null && host.signalCode === null) host.kill('SIGTERM');
    await hostExited;
    await server?.close();
    await Promise.all([sourceDb?.stop(), destinationDb?.stop()]);
    if (stateDir !== undefined) rmSync(stateDir, { recursive: true, force: true });
  });

  const screenshot = async (name: string): Promise<void> => {
    await page.screenshot({ path: `${SCREENSHOTS}${name}.png`, fullPage: true });
  };
  /** The page reloads itself while something runs; a person typing stops that, and so does this, before a screenshot or a click. */
  const holdStill = async (): Promise<void> => {
    await page.evaluate("document.dispatchEvent(new Event('input'))");
  };
  const migrationRow = () => page.locator('tr[data-migration]').first();
  const pagePath = (): string => `/orgs/${targetOrgId}/live-migration`;

  it('signs the owner in and fills the form from what the source pushed and the organization’s clusters', async () => {
    await page.goto(`${server.url}${pagePath()}`);
    await page.getByLabel('Username').fill('target-owner');
    await page.getByLabel('Password').fill('target password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Migrate a deployment' }).waitFor();
    assert.equal(new URL(page.url()).pathname, pagePath());
    await page.getByLabel('Source deployment', { exact: true }).selectOption(`${sourceProjectId}/rs-billing`);
    await page.getByLabel('Migration host', { exact: true }).selectOption(`${sourceProjectId}/${HOSTNAME}`);
    await page.getByLabel('Destination cluster', { exact: true }).selectOption(`${atlasProjectId}/Cluster0`);
    assert.equal(await page.getByLabel('Managed by Ops Manager Automation').isChecked(), true);
    await page.locator('#migrate').screenshot({ path: `${SCREENSHOTS}target-migrate-form.png` });
  });

  it('validates: the page refreshes itself until the migration host answers SUCCESS', async () => {
    await page.getByRole('button', { name: 'Validate' }).click();
    await page.getByRole('status').filter({ hasText: 'Validation started' }).waitFor();
    await page.locator('tr[data-validation] [data-status]', { hasText: 'SUCCESS' }).waitFor({ timeout: 20_000 });
    assert.equal(
      await page.getByLabel('Source deployment', { exact: true }).inputValue(),
      `${sourceProjectId}/rs-billing`,
      'the form is kept for Start migration',
    );
    assert.equal(await page.getByLabel('Destination cluster', { exact: true }).inputValue(), `${atlasProjectId}/Cluster0`);
  });

  it('starts the migration and shows its phase, documents copied and lag until it is ready for cutover', async () => {
    await page.getByRole('button', { name: 'Start migration' }).click();
    await page.getByRole('status').filter({ hasText: 'Migration started.' }).waitFor();
    const cutover = page.getByRole('link', { name: 'Cut over…' });
    await cutover.waitFor({ timeout: 25_000 });
    await holdStill();
    assert.equal(await migrationRow().locator('[data-status]').textContent(), 'WORKING');
    assert.equal(await migrationRow().locator('[data-phase]').textContent(), 'TAILING');
    assert.equal(await migrationRow().locator('[data-ready]').textContent(), 'Yes');
    assert.match((await migrationRow().locator('[data-documents]').innerText()).replace(/\s+/g, ' '), /^2,002 2 of 2 collections$/);
    assert.match((await migrationRow().locator('[data-lag]').textContent()) ?? '', /^\d+ s$/);
    await screenshot('target-migration-ready');
    await page.setViewportSize(PHONE);
    const width = Number(await page.evaluate('document.documentElement.scrollWidth'));
    assert.ok(width <= PHONE.width, `page is ${width} px wide at ${PHONE.width} px`);
    await page.setViewportSize(DESKTOP);
  });

  it('cuts over only once the owner says writes stopped: COMPLETE, and the destination holds the source’s documents', async () => {
    await holdStill();
    await page.getByRole('link', { name: 'Cut over…' }).click();
    await page.getByRole('heading', { name: 'Cut over?' }).waitFor();
    const confirmUrl = page.url();
    await page.getByRole('button', { name: 'Cut over' }).click();
    assert.equal(page.url(), confirmUrl, 'the browser does not send the form without the tick');
    await page.getByLabel('I stopped writes to the source').check();
    await screenshot('target-cutover-confirm');
    await page.getByRole('button', { name: 'Cut over' }).click();
    await page.getByRole('status').filter({ hasText: 'Cut over: the migration is COMPLETE.' }).waitFor({ timeout: 60_000 });
    assert.equal(await migrationRow().locator('[data-status]').textContent(), 'COMPLETE');
    assert.equal(await migrationRow().locator('[data-ready]').textContent(), 'No');
    assert.equal(await page.locator('[data-auto-refresh]').count(), 0, 'nothing runs any more');
    await screenshot('target-migration-complete');

    const destination = new MongoClient(destinationDb.url);
    try {
      assert.equal(await destination.db('shop').collection('orders').countDocuments(), DOCUMENTS);
      assert.equal(await destination.db('shop').collection('customers').countDocuments(), 2);
    } finally {
      await destination.close();
    }
  });

  it('loaded nothing from elsewhere and logged no error (the Content-Security-Policy blocked nothing of ours)', () => {
    assert.deepEqual(problems, []);
  });
});
