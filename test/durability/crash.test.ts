/**
 * The kill -9 harness, short: a few cycles here; `npm run crash-test -- --cycles 100` for the full run.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { POSTGRES_SKIP_REASON, POSTGRES_URL } from '../support/postgres.js';
import { runCrashHarness } from './crash-harness.js';

describe('kill -9 while links are made and removed', () => {
  it('loses no acknowledged write on SQLite (R-02)', async () => {
    const reports = await runCrashHarness({ cycles: 3, orgs: 60, log: () => undefined });
    assert.ok(reports.reduce((n, r) => n + r.acknowledged, 0) > 0, 'the harness acknowledged writes');
    assert.deepEqual(reports.flatMap((r) => r.violations), []);
  });

  it('loses no acknowledged write with two nodes on PostgreSQL (R-03)', { skip: POSTGRES_SKIP_REASON }, async () => {
    const reports = await runCrashHarness({ cycles: 3, orgs: 60, postgresAdminUrl: POSTGRES_URL, log: () => undefined });
    assert.deepEqual(reports.flatMap((r) => r.violations), []);
  });
});
