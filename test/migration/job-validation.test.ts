/**
 * The version rule of a validation (reference §2.1, §5): the source runs MongoDB 6.0 or later, and the
 * destination the source's major version or a later one. The test servers all run one version, so the
 * rule is held here on its own; the end-to-end test runs the checks that need a server.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { versionProblem } from '../../src/features/migration-hosts/job-validation.js';

describe('the validation version rule', () => {
  it('accepts a source of 6.0 or later into the same major version or a later one', () => {
    for (const [source, destination] of [
      ['6.0.17', '6.0.1'],
      ['6.0.17', '7.0.14'],
      ['7.0.12', '8.0.4'],
      ['8.2.11', '8.2.11'],
    ] as const) {
      assert.equal(versionProblem(source, destination), undefined, `${source} → ${destination}`);
    }
  });

  it('refuses a source older than 6.0, or with a later major version than the destination', () => {
    assert.equal(
      versionProblem('5.0.26', '8.0.4'),
      'The source runs MongoDB 5.0.26: a push live migration needs MongoDB 6.0 or later on the source',
    );
    assert.equal(versionProblem('5.0.26', undefined), versionProblem('5.0.26', '8.0.4'));
    assert.equal(
      versionProblem('8.0.4', '7.0.14'),
      "The source runs MongoDB 8.0.4, a later major version than the destination cluster's 7.0.14: " +
        'the destination must run the same major version as the source or a later one',
    );
    assert.match(versionProblem('unknown', '8.0.4') ?? '', /needs MongoDB 6\.0 or later/);
  });
});
