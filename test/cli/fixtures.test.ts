/**
 * `livelink fixtures apply|check FILE` and `livelink serve --fixtures FILE`: the commands, their output
 * and exit codes, the example file of the docs, a served API that answers the file's given key, and the
 * snapshot `init` of the file's data that a reset goes back to.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import type { FixtureReport } from '../../src/features/fixtures/fixture.js';
import { DigestTestClient } from '../support/digest-client.js';
import { BIN, startLivelinkProcess } from '../support/processes.js';
import { cli, cliJson, inFreshDataDirEachTest } from './helpers.js';

const EXAMPLE = new URL('../../docs/examples/fixtures.yaml', import.meta.url).pathname;
const EXAMPLE_JSON = new URL('../../docs/examples/fixtures.json', import.meta.url).pathname;
/** The example's CI key, given in the file, and its source organization's id. */
const CI_KEY = { publicKey: 'ciautoma', privateKey: '3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c' };
const SOURCE_ORG_ID = '65f0c0ffee0123456789a001';

const BAD = [
  'organizations:',
  '  - name: Acme',
  '    projects:',
  '      - name: P',
  '        deployments:',
  '          - name: rs0',
  '            mongoDBVersion: latest',
  '            featureCompatibilityVersion: "7.0"',
  '    colour: blue',
].join('\n');
const BAD_LINES =
  'bad.yaml:7: organizations[0].projects[0].deployments[0].mongoDBVersion: expected a version like 7.0.5\n' +
  'bad.yaml:9: organizations[0].colour: is not a field here (the fields are id, name, requireAccessList, projects, apiKeys, users)\n';

describe('livelink fixtures', () => {
  let data = '';
  inFreshDataDirEachTest((dir) => {
    data = dir;
  });

  it('check: a valid file, in words and as JSON; no database opened', async () => {
    const result = await cli(['fixtures', 'check', EXAMPLE]);
    assert.equal(result.stderr, '');
    assert.equal(result.code, 0);
    assert.equal(
      result.stdout,
      `${EXAMPLE}: valid (2 organizations, 2 projects, 2 deployments, 1 migration host, 1 cluster, 3 API keys, 3 users)\n`,
    );
    assert.deepEqual(await cliJson(['fixtures', 'check', EXAMPLE_JSON]), {
      file: EXAMPLE_JSON,
      valid: true,
      organizations: 2,
      projects: 2,
      deployments: 2,
      migrationHosts: 1,
      clusters: 1,
      apiKeys: 3,
      users: 3,
    });
  });

  it('check and apply: a bad file is exit 1 with one line a problem, and nothing is created', async () => {
    writeFileSync(join(data, 'bad.yaml'), BAD);
    const file = join(data, 'bad.yaml');
    const check = await cli(['fixtures', 'check', file]);
    assert.deepEqual(check, {
      code: 1,
      stdout: '',
      stderr: `livelink fixtures check: ${file}: 2 problems; nothing was changed\n${BAD_LINES.replaceAll('bad.yaml', file)}`,
    });
    const applied = await cli(['fixtures', 'apply', file, '--data', data]);
    assert.deepEqual(applied, {
      code: 1,
      stdout: '',
      stderr: `livelink fixtures apply: ${file}: 2 problems; nothing was changed\n${BAD_LINES.replaceAll('bad.yaml', file)}`,
    });
    assert.equal(existsSync(join(data, 'livelink.sqlite')), false, 'the database was not even opened');
  });

  it('apply and check need their FILE, and take one only', async () => {
    assert.deepEqual(await cli(['fixtures', 'apply']), {
      code: 2,
      stdout: '',
      stderr: 'livelink fixtures apply: FILE is required (see livelink fixtures apply --help)\n',
    });
    assert.deepEqual(await cli(['fixtures', 'check', 'a.yaml', 'b.yaml']), {
      code: 2,
      stdout: '',
      stderr: 'livelink fixtures check: unexpected argument "b.yaml" (see livelink fixtures check --help)\n',
    });
    assert.deepEqual(await cli(['fixtures', 'check', join(data, 'missing.yaml')]), {
      code: 1,
      stdout: '',
      stderr: `livelink fixtures check: ${join(data, 'missing.yaml')}: 1 problem; nothing was changed\n${join(data, 'missing.yaml')}: no such file\n`,
    });
  });

  it('apply: the example file of the docs, then again: nothing changes, nothing is shown twice', async () => {
    const first = await cliJson<FixtureReport & { file: string }>(['fixtures', 'apply', EXAMPLE, '--data', data]);
    assert.equal(first.file, EXAMPLE);
    assert.equal(first.entities.length, 14);
    assert.ok(first.entities.every((entity) => entity.outcome === 'created'));
    assert.deepEqual(
      first.generated.map((secret) => [secret.type, secret.path]),
      [
        ['apiKey', 'organizations[0].apiKeys[1]'],
        ['user', 'organizations[0].users[1]'],
      ],
    );
    const again = await cli(['fixtures', 'apply', EXAMPLE, '--data', data]);
    assert.equal(again.stderr, '');
    assert.equal(again.code, 0);
    const [summary, header, ...rows] = again.stdout.trimEnd().split('\n');
    assert.equal(summary, `Applied ${EXAMPLE}: 0 created, 0 updated, 14 unchanged`);
    assert.match(header ?? '', /^OUTCOME +TYPE +NAME +ID +PATH$/);
    assert.equal(rows.length, 14);
    assert.match(rows[0] ?? '', /^unchanged +organization +Acme Ops Manager +65f0c0ffee0123456789a001 +organizations\[0\]$/);
    assert.ok(!again.stdout.includes('Generated'), 'no secret shown again');

    // The JSON twin of the example file describes the same: applying it changes nothing either.
    const twin = await cliJson<FixtureReport>(['fixtures', 'apply', EXAMPLE_JSON, '--data', data]);
    assert.ok(twin.entities.every((entity) => entity.outcome === 'unchanged'));
  });

  it('apply prints generated secrets once, in words', async () => {
    const file = join(data, 'one.yaml');
    writeFileSync(file, 'organizations:\n  - name: Solo\n    apiKeys:\n      - description: robot\n        roles: [ORG_MEMBER]\n');
    const result = await cli(['fixtures', 'apply', file, '--data', data]);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trimEnd().split('\n');
    assert.deepEqual(lines.slice(-3, -1), [
      'Generated (shown this once: keep them now; a re-apply keeps them and shows them no more):',
      lines.at(-2) ?? '',
    ]);
    assert.match(lines.at(-2) ?? '', /^PATH +WHAT +PUBLIC KEY OR USERNAME +PRIVATE KEY OR PASSWORD$/);
    assert.match(lines.at(-1) ?? '', /^organizations\[0\]\.apiKeys\[0\] +API key "robot" +[a-z]{8} +[0-9a-f-]{36}$/);
  });
});

describe('docs/fixtures.md', () => {
  it('shows the example files as they are, in YAML and in JSON', () => {
    const docs = readFileSync(new URL('../../docs/fixtures.md', import.meta.url), 'utf8');
    const blocks = [...docs.matchAll(/```(yaml|json)\n([\s\S]*?)```/g)];
    const example: unknown = parseYaml(readFileSync(EXAMPLE, 'utf8'));
    const yaml = blocks.find(([, language, text]) => language === 'yaml' && text?.includes('Acme Ops Manager'));
    const json = blocks.find(([, language, text]) => language === 'json' && text?.startsWith('{\n  "organizations"'));
    assert.deepEqual(parseYaml(yaml?.[2] ?? ''), example);
    assert.deepEqual(JSON.parse(json?.[2] ?? ''), example);
    assert.deepEqual(JSON.parse(readFileSync(EXAMPLE_JSON, 'utf8')), example);
  });
});

describe('livelink serve --fixtures', () => {
  let data = '';
  inFreshDataDirEachTest((dir) => {
    data = dir;
  });

  it('a bad file: exit 1 with the problems, nothing served, nothing stored', async () => {
    const file = join(data, 'bad.yaml');
    writeFileSync(file, BAD);
    const failed = await promisify(execFile)(process.execPath, [BIN, 'serve', '--port', '0', '--data', data, '--fixtures', file]).then(
      () => assert.fail('serve started with a bad fixture file'),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    assert.equal(failed.code, 1);
    assert.equal(failed.stdout, '');
    assert.equal(failed.stderr, `livelink serve: ${file}: 2 problems; nothing was changed\n${BAD_LINES.replaceAll('bad.yaml', file)}`);
    assert.equal(existsSync(join(data, 'livelink.sqlite')), false);
  });

  it("a good file: applied before listening, and the file's key answers a digest request", async () => {
    const served = await startLivelinkProcess(['--data', data, '--fixtures', EXAMPLE]);
    try {
      const client = new DigestTestClient(served.url, CI_KEY.publicKey, CI_KEY.privateKey);
      const response = await client.request('GET', `/api/public/v1.0/orgs/${SOURCE_ORG_ID}/liveExport/migrationLink/status`);
      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.json(), { status: 'NOT_SYNCED' });
    } finally {
      await served.stop();
    }
    // Served again with the same file: nothing is created twice, and the server starts.
    const again = await startLivelinkProcess(['--data', data, '--fixtures', EXAMPLE]);
    await again.stop();
  });

  it('takes the snapshot init of the applied file: a reset puts the data back to the file, and a later start keeps that init', async () => {
    const keysPath = `/api/public/v1.0/orgs/${SOURCE_ORG_ID}/apiKeys`;
    const keys = async (client: DigestTestClient) => {
      const response = await client.request('GET', keysPath);
      assert.equal(response.status, 200, response.text);
      const { results } = response.json() as { results: { publicKey: string; desc: string }[] };
      return results.map(({ publicKey, desc }) => `${publicKey} ${desc}`).sort();
    };
    const snapshots = async (url: string) => {
      const response = await fetch(`${url}/_livelink/control/v1/snapshots`);
      assert.equal(response.status, 200);
      return ((await response.json()) as { results: { name: string; createdAt: string }[] }).results;
    };
    const served = await startLivelinkProcess(['--data', data, '--fixtures', EXAMPLE]);
    let taken: { name: string; createdAt: string }[];
    try {
      taken = await snapshots(served.url);
      assert.deepEqual(
        taken.map((snapshot) => snapshot.name),
        ['init'],
      );
      const client = new DigestTestClient(served.url, CI_KEY.publicKey, CI_KEY.privateKey);
      const fromFile = await keys(client);
      assert.ok(fromFile.includes(`${CI_KEY.publicKey} CI pipeline`), fromFile.join(', '));
      // The rehearsal changes the file's data and adds to it.
      const created = await client.request('POST', keysPath, { desc: 'made after the file', roles: ['ORG_MEMBER'] });
      assert.equal(created.status, 200, created.text);
      const ciKeyId = ((await client.request('GET', keysPath)).json() as { results: { id: string; publicKey: string }[] }).results.find(
        (key) => key.publicKey === CI_KEY.publicKey,
      )?.id;
      const renamed = await client.request('PATCH', `${keysPath}/${ciKeyId}`, { desc: 'renamed by the rehearsal' });
      assert.equal(renamed.status, 200, renamed.text);
      assert.notDeepEqual(await keys(client), fromFile);

      // From this machine, with no control token configured: the control API answers it.
      const reset = await fetch(`${served.url}/_livelink/control/v1/reset`, { method: 'POST' });
      assert.equal(reset.status, 200, await reset.clone().text());
      assert.equal(((await reset.json()) as { snapshot: { name: string } }).snapshot.name, 'init');
      assert.deepEqual(await keys(client), fromFile);
    } finally {
      await served.stop();
    }
    // Served again: the file applies (changing nothing), and the init taken the first time is kept.
    const again = await startLivelinkProcess(['--data', data, '--fixtures', EXAMPLE]);
    try {
      assert.deepEqual(await snapshots(again.url), taken);
    } finally {
      await again.stop();
    }
  });
});
