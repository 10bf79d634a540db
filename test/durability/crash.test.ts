/**
 * The kill -9 harness, short: a few cycles here; `npm run crash-test -- --cycles 100` for the full run.
 *
 * Each cycle is killed after a fixed number of acknowledged writes, so that a busy machine runs the same
 * cycles as an idle one: the first kill lands while most of the 60 organizations have not had their first
 * link acknowledged, the later ones with links and deletes under way in every organization. The
 * ready-in-5-s budget of R-02 is a wall-clock figure: the full run checks it, this test does not. On
 * SQLite the 60 concurrent clients' transactions share commits (group commit): each kill lands on a node
 * that answers only what a returned COMMIT made durable, which is what the ledger checks.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { POSTGRES_SKIP_REASON, POSTGRES_URL } from '../support/postgres.js';
import { PRIVATE_POSTGRES_SKIP_REASON } from '../support/private-postgres.js';
import { runCrashHarness, victimsOf, type CycleReport } from './crash-harness.js';

const ORGS = 60;
const KILL_AFTER = [20, 80, 130];
const killAfterAcknowledged = (cycle: number) => KILL_AFTER[cycle - 1] ?? 100;

function assertEveryCycleHeld(reports: readonly CycleReport[]): void {
  assert.deepEqual(
    reports.map((r) => r.killAfterAcknowledged),
    KILL_AFTER,
  );
  for (const report of reports)
    assert.ok(report.acknowledged >= report.killAfterAcknowledged, `cycle ${report.cycle}: ${report.acknowledged} acknowledged`);
  assert.deepEqual(
    reports.flatMap((r) => r.violations),
    [],
  );
}

describe('kill -9 while links are made and removed', () => {
  it('loses no acknowledged write on SQLite (R-02)', async () => {
    const reports = await runCrashHarness({ cycles: KILL_AFTER.length, orgs: ORGS, killAfterAcknowledged, log: () => undefined });
    assertEveryCycleHeld(reports);
    // The concurrent clients' write transactions shared commits (group commit), and none was lost for it.
    const transactions = reports.reduce((sum, r) => sum + r.writesBeforeKill.transactions, 0);
    const commits = reports.reduce((sum, r) => sum + r.writesBeforeKill.commits, 0);
    assert.ok(commits > 0 && commits < transactions, `${commits} commits for ${transactions} write transactions`);
  });

  it(
    'loses no acknowledged write with two nodes on PostgreSQL, killing both, then each alone (R-03)',
    { skip: POSTGRES_SKIP_REASON },
    async () => {
      const reports = await runCrashHarness({
        cycles: KILL_AFTER.length,
        orgs: ORGS,
        killAfterAcknowledged,
        postgresAdminUrl: POSTGRES_URL,
        log: () => undefined,
      });
      assertEveryCycleHeld(reports);
      assert.deepEqual(
        reports.map((r) => r.killedNodes),
        [2, 1, 1],
      );
    },
  );

  it(
    'loses no acknowledged write and refuses a replay on both nodes when PostgreSQL itself crashes (R-03, D-13)',
    { skip: PRIVATE_POSTGRES_SKIP_REASON },
    async () => {
      // One cycle: the odd ones crash PostgreSQL (`npm run crash-test -- --private-postgres` alternates).
      const reports = await runCrashHarness({
        cycles: 1,
        orgs: ORGS,
        killAfterAcknowledged: () => 60,
        privatePostgres: true,
        log: () => undefined,
      });
      assert.deepEqual(
        reports.map((r) => [r.crashedDatabase, r.killedNodes, r.acknowledged >= 60]),
        [[true, 0, true]],
      );
      assert.deepEqual(
        reports.flatMap((r) => r.violations),
        [],
      );
    },
  );

  it('takes turns between killing every node and killing each alone', () => {
    assert.deepEqual(
      [1, 2, 3, 4].map((cycle) => victimsOf(cycle, 1)),
      [[0], [0], [0], [0]],
    );
    assert.deepEqual(
      [1, 2, 3, 4].map((cycle) => victimsOf(cycle, 2)),
      [[0, 1], [0], [1], [0, 1]],
    );
  });
});
