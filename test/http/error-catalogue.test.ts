/**
 * Every error code the catalogue can build is documented: the README lists them in "The wire format" and
 * in "Web pages" (as fastify's test/internals/errors.test.js holds its errors to docs/Reference/Errors.md).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ApiError, apiErrors } from '../../src/http/api-error.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The text of the README section under `## title`, up to the next section. */
function section(title: string): string {
  const start = README.indexOf(`\n## ${title}\n`);
  assert.notEqual(start, -1, `the README has no section "${title}"`);
  const end = README.indexOf('\n## ', start + 1);
  return README.slice(start, end === -1 ? undefined : end);
}

/** The codes written as `CODE` in the sections that list error codes. */
const documented = new Set(
  [...`${section('The wire format')}${section('Web pages')}`.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((match) => match[1]),
);

/** Each builder of the catalogue with the code it builds; the arguments only fill in the detail. */
const built = Object.entries(apiErrors).map(([name, build]) => {
  const error: unknown = (build as (...args: unknown[]) => unknown)(...Array.from({ length: build.length }, () => 1));
  assert.ok(error instanceof ApiError, `apiErrors.${name} builds an ApiError`);
  return { name, code: error.errorCode };
});

describe('the error catalogue and the README', () => {
  it('builds errors', () => {
    assert.ok(built.length > 20, 'the catalogue was read');
  });

  for (const { name, code } of built) {
    it(`lists ${code} (apiErrors.${name})`, () => {
      assert.ok(
        documented.has(code),
        `${code}, built by apiErrors.${name}, is missing from the README's lists of error codes ("The wire format", "Web pages")`,
      );
    });
  }
});
