/**
 * The target's "Migrate a deployment" form and its migrations list at the HTTP level, without a browser
 * and without a migration host: the selects filled from what the linked source pushed and the
 * organization's clusters, CSRF and role refusals that store nothing, the service's errors shown in the
 * page with the form kept, and the cutover confirmation.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Organization } from '../../src/features/organizations/organization.js';
import { startLivelink, type RunningLivelink } from '../support/livelink-fixture.js';
import { csrfOf, textOf, WebClient, type PageResponse } from './web-client.js';

const PASSWORD = 'owner password 1';
const HOST = 'mh1.example.internal';

describe('the migrate form over HTTP', () => {
  let server: RunningLivelink;
  let orgId: string;
  let atlasOrg: Organization;
  let atlasProjectId: string;
  let sourceProjectId: string;
  let otherSourceProjectId: string;
  let strangerProjectId: string;

  before(async () => {
    server = await startLivelink({ role: 'both' });
    const { organizations, users, clusters, linkTokens, migrationLinks } = server.livelink.services;
    const atlas = await organizations.createOrganization('Atlas Org');
    orgId = atlas.id;
    atlasOrg = atlas;
    await users.create({ orgId, username: 'owner', role: 'ORG_OWNER', password: PASSWORD });
    await users.create({ orgId, username: 'member', role: 'ORG_MEMBER', password: 'member password' });
    atlasProjectId = (await organizations.createProject(orgId, 'Atlas Project')).id;
    // No server behind it: mongoDBVersion skips the probe, and no migration host ever connects here.
    await clusters.create(atlasProjectId, { name: 'Cluster0', connectionString: 'mongodb://127.0.0.1:9/', mongoDBVersion: '8.0.4' });
    const stranger = await organizations.createOrganization('Stranger Org');
    strangerProjectId = (await organizations.createProject(stranger.id, 'Not yours')).id;
    await clusters.create(strangerProjectId, { name: 'Theirs', connectionString: 'mongodb://127.0.0.1:9/', mongoDBVersion: '8.0.4' });

    const ops = await organizations.createOrganization('Ops Org');
    const facts = {
      mongoDBVersion: '8.0.4',
      featureCompatibilityVersion: '8.0',
      managed: true,
      sharded: false,
      shardsSize: null,
      tlsEnabled: false,
      agentVersion: null,
      dbSizeBytes: null,
      oplogSizeMB: null,
    };
    sourceProjectId = (await organizations.createProject(ops.id, 'Payments')).id;
    await organizations.createDeployment(sourceProjectId, { name: 'rs0', ...facts });
    await organizations.createDeployment(sourceProjectId, { name: 'sh0', ...facts, sharded: true, shardsSize: 2 });
    await organizations.addMigrationHost(sourceProjectId, HOST);
    otherSourceProjectId = (await organizations.createProject(ops.id, 'Billing')).id;
    await organizations.addMigrationHost(otherSourceProjectId, 'mh9.example.internal');
    const token = await linkTokens.createToken(atlas, []);
    assert.equal(await migrationLinks.connect(ops, token), 'SYNCED');
  });
  after(() => server.close());

  const signedIn = async (username = 'owner', password = PASSWORD): Promise<WebClient> => {
    const client = new WebClient(server.url);
    assert.equal((await client.login(username, password)).status, 303);
    return client;
  };
  const pagePath = (): string => `/orgs/${orgId}/live-migration`;
  const migrations = (): string => `/orgs/${orgId}/live-migration/migrations`;
  const recent = () => server.livelink.services.liveMigrations.recent(atlasOrg, 50);
  const fields = (changes: Record<string, string> = {}): Record<string, string> => ({
    source: `${sourceProjectId}/rs0`,
    migrationHost: `${sourceProjectId}/${HOST}`,
    destination: `${atlasProjectId}/Cluster0`,
    authentication: 'managed',
    ...changes,
  });
  const selected = (page: PageResponse, name: string): string | undefined => {
    const select = new RegExp(`<select[^>]*name="${name}"[\\s\\S]*?</select>`).exec(page.text)?.[0] ?? '';
    return /<option value="([^"]*)" selected/.exec(select)?.[1];
  };

  it('fills the selects from what the source pushed and the organization’s clusters, and offers no sharded source', async () => {
    const page = await (await signedIn()).get(pagePath());
    assert.equal(page.status, 200);
    assert.match(page.text, new RegExp(`<option value="${sourceProjectId}/rs0">rs0 · replica set · MongoDB 8\\.0\\.4</option>`));
    assert.match(page.text, new RegExp(`<option value="${sourceProjectId}/sh0" disabled>sh0 · sharded, not supported`));
    assert.match(page.text, new RegExp(`<optgroup label="Payments">\\s*<option value="${sourceProjectId}/${HOST}">`));
    assert.match(page.text, new RegExp(`<option value="${otherSourceProjectId}/mh9\\.example\\.internal">`));
    assert.match(page.text, new RegExp(`<optgroup label="Atlas Project">\\s*<option value="${atlasProjectId}/Cluster0">Cluster0</option>`));
    assert.doesNotMatch(page.text, /Theirs/, 'no cluster of another organization');
    assert.match(page.text, /<button type="submit" class="button button-secondary">Validate<\/button>/);
    assert.match(page.text, new RegExp(`formaction="${migrations()}">Start migration</button>`));
    assert.match(textOf(page.text), /No migration yet\. Validations No validation yet\./);
    assert.doesNotMatch(page.text, /data-auto-refresh/, 'nothing runs, nothing reloads');
  });

  it('refuses a validation or a migration without the session’s CSRF token, or from another site, and stores nothing', async () => {
    const client = await signedIn();
    const page = await client.get(pagePath());
    for (const path of [`${migrations()}/validate`, migrations(), `${migrations()}/${atlasProjectId}/${'a'.repeat(24)}/cutover`]) {
      for (const csrf of [undefined, '', 'x'.repeat(43)]) {
        const answer = await client.post(path, { ...(csrf === undefined ? {} : { csrf }), ...fields(), stoppedWrites: 'on' });
        assert.equal(answer.status, 403, `${path} csrf ${csrf}`);
        assert.match(textOf(answer.text), /This form has expired or did not come from livelink/);
      }
      const crossSite = await client.post(path, { csrf: csrfOf(page.text), ...fields() }, { 'sec-fetch-site': 'cross-site' });
      assert.equal(crossSite.status, 403);
    }
    const { migrations: stored, validations } = await recent();
    assert.deepEqual([stored.length, validations.length], [0, 0]);
  });

  it('shows a member the migrations without the form, and refuses a hand-made POST', async () => {
    const client = await signedIn('member', 'member password');
    const page = await client.get(pagePath());
    assert.equal(page.status, 200);
    assert.match(
      textOf(page.text),
      /Only an Organization Owner can validate, start or cut over a migration\. You are signed in as Organization Member\./,
    );
    assert.doesNotMatch(page.text, /name="source"|name="migrationHost"|Start migration/);
    assert.match(textOf(page.text), /Migrations .* No migration yet\./);
    for (const path of [`${migrations()}/validate`, migrations()]) {
      const answer = await client.submit(page, path, fields());
      assert.equal(answer.status, 403);
      assert.match(textOf(answer.text), /Current user is not authorized to perform this action\./);
    }
    assert.equal((await recent()).validations.length, 0);
  });

  it('shows the service’s message in the page, keeps what was chosen, never gives the password back', async () => {
    const client = await signedIn();
    const page = await client.get(pagePath());
    const cases: { fields: Record<string, string>; status: number; message: RegExp; path?: string }[] = [
      {
        fields: fields({ source: '' }),
        status: 400,
        message: /Could not validate\. The required attribute source\.clusterName was not specified\./,
      },
      {
        fields: fields({ authentication: 'password', username: 'migrator', password: '' }),
        status: 400,
        message: /Could not validate\. The required attribute source\.password was not specified\./,
      },
      {
        fields: fields({ migrationHost: `${otherSourceProjectId}/mh9.example.internal` }),
        status: 404,
        message: new RegExp(`Source project ${sourceProjectId} has no migration host mh9\\.example\\.internal \\(migrationHosts\\)\\.`),
      },
      {
        fields: fields({ source: `${sourceProjectId}/sh0` }),
        status: 400,
        message: /Invalid attribute source\.clusterName specified: sh0 is a sharded cluster: livelink migrates replica sets\./,
      },
      {
        fields: fields({ destination: `${strangerProjectId}/Theirs` }),
        status: 404,
        message: new RegExp(`No group with ID ${strangerProjectId} exists\\.`),
      },
      {
        fields: fields({ dropDestinationData: 'on', authentication: 'password', username: 'migrator', password: 'secret pass 42' }),
        status: 400,
        message:
          /Could not start the migration\. Invalid attribute dropDestinationData specified: tick "I understand every database of the destination cluster is deleted"/,
        path: migrations(),
      },
    ];
    for (const c of cases) {
      const answer = await client.submit(page, c.path ?? `${migrations()}/validate`, c.fields);
      assert.equal(answer.status, c.status, textOf(answer.text));
      assert.match(textOf(answer.text), c.message);
      assert.match(answer.text, /<div class="alert alert-error" role="alert">/);
      // The destination is kept, unless it is not one of the organization's (then it is not an option at all).
      const destination = c.fields['destination'] ?? '';
      assert.equal(selected(answer, 'destination'), destination.startsWith(atlasProjectId) ? destination : undefined);
      assert.doesNotMatch(answer.text, /secret pass 42/);
    }
    const dropped = await client.submit(
      page,
      migrations(),
      fields({ dropDestinationData: 'on', authentication: 'password', username: 'migrator', password: 'p' }),
    );
    assert.match(dropped.text, /name="dropDestinationData" value="on" checked/);
    assert.match(dropped.text, /name="username" value="migrator"/);
    assert.match(dropped.text, /name="authentication" value="password" checked/);
    const { migrations: stored, validations } = await recent();
    assert.deepEqual([stored.length, validations.length], [0, 0], 'nothing was stored');
  });

  it('validates: back to the page, the validation listed (FAILED: no host runs) and the form filled from it', async () => {
    const client = await signedIn();
    const page = await client.get(pagePath());
    const answer = await client.submit(page, `${migrations()}/validate`, fields({ ssl: 'on' }));
    assert.equal(answer.status, 303);
    const [validation] = (await recent()).validations;
    assert.ok(validation !== undefined);
    assert.equal(answer.location, `${pagePath()}?notice=validation-started&validation=${validation.id}#migrations`);
    const after = await client.get(answer.location.replace(/#.*$/, ''));
    const text = textOf(after.text);
    assert.match(text, /Validation started: the migration host checks the source and the destination/);
    assert.match(
      text,
      new RegExp(
        `rs0 Payments · ${HOST.replace(/\./g, '\\.')} Cluster0 Atlas Project FAILED The migration host ${HOST.replace(/\./g, '\\.')} has not contacted livelink in the last 30 seconds`,
      ),
    );
    assert.equal(selected(after, 'source'), `${sourceProjectId}/rs0`);
    assert.equal(selected(after, 'migrationHost'), `${sourceProjectId}/${HOST}`);
    assert.equal(selected(after, 'destination'), `${atlasProjectId}/Cluster0`);
    assert.match(after.text, /name="ssl" value="on" checked/);
  });

  it('starts a migration, lists it (NEW), refuses a second, and will not cut over before it is ready', async () => {
    const client = await signedIn();
    const page = await client.get(pagePath());
    const started = await client.submit(page, migrations(), fields());
    assert.equal(started.status, 303, textOf(started.text));
    assert.equal(started.location, `${pagePath()}?notice=migration-started#migrations`);
    const listed = await client.get(`${pagePath()}?notice=migration-started`);
    const [migration] = (await recent()).migrations;
    assert.ok(migration !== undefined);
    assert.match(textOf(listed.text), /Migration started\./);
    assert.match(listed.text, new RegExp(`<tr data-migration="${migration.id}">`));
    assert.match(textOf(listed.text), /rs0 Payments · mh1\.example\.internal Cluster0 Atlas Project NEW — 0 — No/);
    assert.match(listed.text, /data-auto-refresh="2"/, 'a running migration: the script reloads the page');
    assert.doesNotMatch(listed.text, /Cut over…/, 'not ready: no cutover');

    const again = await client.submit(listed, migrations(), fields());
    assert.equal(again.status, 409);
    assert.match(
      textOf(again.text),
      /Could not start the migration\. Source organization [0-9a-f]{24} already has an active live migration/,
    );

    const confirmPath = `${migrations()}/${atlasProjectId}/${migration.id}/cutover`;
    const confirm = await client.get(confirmPath);
    assert.equal(confirm.status, 200);
    assert.match(textOf(confirm.text), /Cut over rs0 to Cluster0/);
    assert.match(confirm.text, /<input type="checkbox" name="stoppedWrites" value="on" required> I stopped writes to the source/);
    const unticked = await client.submit(confirm, confirmPath, {});
    assert.equal(unticked.status, 400);
    assert.match(textOf(unticked.text), /Could not cut over\. Tick "I stopped writes to the source" first/);
    const early = await client.submit(confirm, confirmPath, { stoppedWrites: 'on' });
    assert.equal(early.status, 400);
    assert.match(
      textOf(early.text),
      new RegExp(`Could not cut over\\. Live migration ${migration.id} is not ready for cutover \\(status NEW\\)`),
    );
    assert.equal((await recent()).migrations[0]?.cutoverRequestedAt, null);

    const member = await signedIn('member', 'member password');
    assert.equal((await member.get(confirmPath)).status, 403);
    assert.equal((await client.get(`${migrations()}/${strangerProjectId}/${migration.id}/cutover`)).status, 404);
    assert.equal((await client.get(`${migrations()}/${atlasProjectId}/${'f'.repeat(24)}/cutover`)).status, 404);
  });
});
