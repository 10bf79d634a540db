/**
 * The rehearsal faults on a live migration, driven through the control API and its CLI twins against a
 * real migration host between two SecantusDB servers, and seen as an automation sees them: the Atlas GET
 * of the migration and its cutover, made with curl --digest. Fail at the copy (FAILED with the reason),
 * hold the lag (not ready, the cutover refused) until the faults are cleared, expire now (EXPIRED, the
 * cutover 409), ready for cutover now (the cutover completes), and a reset that clears the faults.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { MongoClient } from 'mongodb';
import { cli } from '../cli/helpers.js';
import { HOSTNAME, LinkedPair, V2_2023, type MigrationView } from '../migration/linked-pair.js';
import { MONGODB_SERVERS_SKIP_REASON, startMongoServers, type MongoTestServer } from '../support/mongodb-servers.js';

const run = promisify(execFile);
const TOKEN = 'rehearsal-migration-token-0123456789';
const CONTROL = '/_livelink/control/v1';
const DOCUMENTS = 3000;

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

describe('rehearsal faults on a live migration through the control API', { skip: MONGODB_SERVERS_SKIP_REASON }, () => {
  let source: MongoTestServer;
  let destination: MongoTestServer;
  let pair: LinkedPair;
  let env: Record<string, string>;

  before(async () => {
    [source, destination] = (await startMongoServers(2)) as [MongoTestServer, MongoTestServer];
    const seed = new MongoClient(source.url);
    try {
      // Enough batches that the host reports COPYING before the copy ends.
      const docs = Array.from({ length: DOCUMENTS }, (_, i) => ({ _id: i, item: `item ${i}`, pad: 'x'.repeat(200) }));
      await seed.db('shop').collection<{ _id: number }>('items').insertMany(docs);
    } finally {
      await seed.close();
    }
    pair = await LinkedPair.start({ flags: { 'control-token': TOKEN } });
    await pair.addDeployment('rs0', source.url);
    await pair.addCluster('Cluster0', destination.url);
    env = { LIVELINK_CONTROL_TOKEN: TOKEN, LIVELINK_URL: pair.server.url };
  });

  after(async () => {
    await pair?.close();
    await Promise.all([source?.stop(), destination?.stop()]);
  });

  /** A control call as a rehearsal script makes it. */
  const control = async (method: string, path: string, body?: unknown): Promise<Answer> => {
    const response = await fetch(`${pair.server.url}${CONTROL}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  /** The Atlas API as a script calls it: curl --digest with the Atlas organization's key. */
  const atlasCurl = async (method: 'GET' | 'PUT', path: string): Promise<Answer> => {
    const { stdout } = await run('curl', [
      '-sS',
      '--digest',
      '-u',
      `${pair.atlas.publicKey}:${pair.atlas.privateKey}`,
      '-H',
      `Accept: ${V2_2023}`,
      '-X',
      method,
      '-w',
      '\n%{http_code}',
      `${pair.server.url}${path}`,
    ]);
    const statusAt = stdout.lastIndexOf('\n');
    const text = stdout.slice(0, statusAt);
    return { status: Number(stdout.slice(statusAt + 1)), body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
  };
  const curlMigration = async (id: string): Promise<MigrationView> => {
    const answer = await atlasCurl('GET', `${pair.base}/${id}`);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body as unknown as MigrationView;
  };
  const curlCutover = (id: string) => atlasCurl('PUT', `${pair.base}/${id}/cutover`);
  const ended = (view: MigrationView) => view.status !== 'NEW' && view.status !== 'WORKING';
  const noFaults = { results: [], totalCount: 0 };
  const notActive = (id: string, status: string, why: string) => ({
    detail: `Live migration ${id} is ${status} (${why}): a rehearsal control acts on an active migration only; start a new migration if needed.`,
    error: 409,
    errorCode: 'LIVE_MIGRATION_NOT_ACTIVE',
    parameters: [id, status],
    reason: 'Conflict',
  });
  const destinationCount = async (): Promise<number> => {
    const check = new MongoClient(destination.url);
    try {
      return await check.db('shop').collection('items').countDocuments();
    } finally {
      await check.close();
    }
  };

  it('fails at the copy with the reason: the Atlas GET shows FAILED with it, the cutover is refused, the fault is gone', async () => {
    const reason = 'Disk full on the destination (rehearsal)';
    // The host is not running yet: the fault is in place before it takes the job.
    const id = await pair.create(pair.request('rs0', 'Cluster0'));
    const set = await control('POST', `/liveMigrations/${id}/faults/failAtPhase`, { phase: 'COPY', reason });
    assert.equal(set.status, 201, JSON.stringify(set.body));
    const fault = {
      family: 'liveMigration',
      id: `${id}:FAIL_AT_PHASE`,
      createdAt: (set.body['fault'] as { createdAt: string }).createdAt,
      details: { liveMigrationId: id, kind: 'FAIL_AT_PHASE', phase: 'COPY', reason },
    };
    assert.deepEqual(set.body, {
      fault,
      migration: { _id: id, lagTimeSeconds: null, migrationHosts: [HOSTNAME], readyForCutover: false, status: 'NEW' },
    });
    assert.deepEqual(await control('GET', '/faults'), { status: 200, body: { results: [fault], totalCount: 1 } });

    await pair.startHost();
    await pair.waitForMigration(id, ended, 'to end');
    assert.deepEqual(await curlMigration(id), {
      _id: id,
      errorMessage: reason,
      lagTimeSeconds: null,
      migrationHosts: [HOSTNAME],
      readyForCutover: false,
      status: 'FAILED',
    });
    const cutover = await curlCutover(id);
    assert.equal(cutover.status, 409);
    assert.equal(cutover.body['errorCode'], 'LIVE_MIGRATION_NOT_ACTIVE');
    // A fault that fired is gone with its migration, which no control acts on any more.
    assert.deepEqual(await control('GET', '/faults'), { status: 200, body: noFaults });
    assert.deepEqual(await control('POST', `/liveMigrations/${id}/faults/holdLag`, { lagSeconds: 30 }), {
      status: 409,
      body: notActive(id, 'FAILED', reason),
    });
  });

  it('holds the lag with the CLI twin until clear-faults; then expires it now: EXPIRED, and the cutover 409', async () => {
    const id = await pair.create(pair.request('rs0', 'Cluster0', { drop: true }));
    await pair.waitForMigration(id, (view) => view.readyForCutover, 'readyForCutover');

    assert.deepEqual(await cli(['control', 'migration-fault', '--migration', id, '--hold-lag', '30'], env), {
      code: 0,
      stdout:
        `Fault ${id}:HOLD_LAG: live migration ${id} shows a lag of 30 s until the faults are cleared.\n` +
        `Live migration ${id}: WORKING, lag 30 s, not ready for cutover.\n`,
      stderr: '',
    });
    assert.deepEqual(await curlMigration(id), {
      _id: id,
      lagTimeSeconds: 30,
      migrationHosts: [HOSTNAME],
      readyForCutover: false,
      status: 'WORKING',
    });
    const refused = await curlCutover(id);
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.equal(refused.body['errorCode'], 'LIVE_MIGRATION_NOT_READY_FOR_CUTOVER');
    const listed = await cli(['control', 'list-faults'], env);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(
      listed.stdout,
      new RegExp(
        `^FAMILY +ID +CREATED +DETAILS\\nliveMigration +${id}:HOLD_LAG +\\S+Z +\\{"kind":"HOLD_LAG","lagSeconds":30,"liveMigrationId":"${id}"\\}\\n$`,
      ),
    );
    assert.deepEqual(await cli(['control', 'clear-faults'], env), { code: 0, stdout: 'Cleared 1 fault.\n', stderr: '' });
    // The host's measured lag shows again (whatever it is on a loaded machine), and ready, as it was.
    const measured = await curlMigration(id);
    assert.deepEqual([measured.status, measured.readyForCutover, typeof measured.lagTimeSeconds], ['WORKING', true, 'number']);

    const expired = await cli(['control', 'migration', 'expire', '--migration', id, '--json'], env);
    assert.equal(expired.code, 0, expired.stderr);
    const why = 'It was ready for cutover for 120 hours without being cut over.';
    const view = {
      _id: id,
      errorMessage: why,
      lagTimeSeconds: null,
      migrationHosts: [HOSTNAME],
      readyForCutover: false,
      status: 'EXPIRED',
    };
    assert.deepEqual(JSON.parse(expired.stdout), view);
    assert.deepEqual(await curlMigration(id), view);
    const cutover = await curlCutover(id);
    assert.equal(cutover.status, 409);
    assert.equal(cutover.body['errorCode'], 'LIVE_MIGRATION_NOT_ACTIVE');
    assert.deepEqual(await cli(['control', 'migration', 'expire', '--migration', id], env), {
      code: 1,
      stdout: '',
      stderr: `livelink control migration expire: ${notActive(id, 'EXPIRED', why).detail}\n`,
    });
  });

  it('makes it ready for cutover now, releasing a held lag: the GET shows it ready, and the cutover completes', async () => {
    const id = await pair.create(pair.request('rs0', 'Cluster0', { drop: true }));
    const held = await control('POST', `/liveMigrations/${id}/faults/holdLag`, { lagSeconds: 30 });
    assert.equal(held.status, 201, JSON.stringify(held.body));
    assert.equal((await curlMigration(id)).readyForCutover, false);

    const ready = await cli(['control', 'migration', 'ready-for-cutover', '--migration', id, '--json'], env);
    assert.equal(ready.code, 0, ready.stderr);
    const answer = JSON.parse(ready.stdout) as MigrationView;
    assert.deepEqual(answer, {
      _id: id,
      lagTimeSeconds: answer.lagTimeSeconds,
      migrationHosts: [HOSTNAME],
      readyForCutover: true,
      status: 'WORKING',
    });
    assert.notEqual(answer.lagTimeSeconds, 30, 'the held lag is released');
    assert.equal((await curlMigration(id)).readyForCutover, true);
    assert.deepEqual(await control('GET', '/faults'), { status: 200, body: noFaults });

    // The cutover asks the host, which cuts over once it tails: every document is then on the destination.
    const cutover = await curlCutover(id);
    assert.equal(cutover.status, 202, JSON.stringify(cutover.body));
    await pair.waitForMigration(id, (view) => view.status === 'COMPLETE', 'COMPLETE');
    assert.equal((await curlMigration(id)).status, 'COMPLETE');
    assert.equal(await destinationCount(), DOCUMENTS);
  });

  it('lists and clears the migration faults with the others, and a reset leaves none: the cutover then completes', async () => {
    const id = await pair.create(pair.request('rs0', 'Cluster0', { drop: true }));
    await pair.waitForMigration(id, (view) => view.readyForCutover, 'readyForCutover');
    assert.equal((await control('PUT', '/snapshots/before-faults')).status, 201);
    const atCutover = await control('POST', `/liveMigrations/${id}/faults/failAtPhase`, { phase: 'CUTOVER' });
    assert.equal(atCutover.status, 201, JSON.stringify(atCutover.body));
    assert.deepEqual((atCutover.body['fault'] as { details: unknown }).details, {
      liveMigrationId: id,
      kind: 'FAIL_AT_PHASE',
      phase: 'CUTOVER',
      reason: 'The migration failed at CUTOVER (a rehearsal fault).',
    });
    assert.equal((await control('POST', `/liveMigrations/${id}/faults/holdLag`, { lagSeconds: 0 })).status, 201);
    const listed = await control('GET', '/faults');
    assert.deepEqual((listed.body['results'] as { family: string; id: string }[]).map((fault) => [fault.family, fault.id]).sort(), [
      ['liveMigration', `${id}:FAIL_AT_PHASE`],
      ['liveMigration', `${id}:HOLD_LAG`],
    ]);

    const reset = await control('POST', '/reset/before-faults');
    assert.equal(reset.status, 200, JSON.stringify(reset.body));
    assert.equal(reset.body['faultsCleared'], 2);
    assert.deepEqual(await control('GET', '/faults'), { status: 200, body: noFaults });
    const restored = await curlMigration(id);
    assert.deepEqual([restored.status, restored.readyForCutover], ['WORKING', true]);
    // No failure at cutover is left: the cutover completes.
    const cutover = await curlCutover(id);
    assert.equal(cutover.status, 202, JSON.stringify(cutover.body));
    await pair.waitForMigration(id, (view) => view.status === 'COMPLETE', 'COMPLETE');
  });
});
