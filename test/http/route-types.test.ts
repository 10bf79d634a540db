/**
 * A route's declared access and body schema type its handler's context. These checks are made by the
 * type-checker (`npm run typecheck` covers the tests): each `@ts-expect-error` fails the check if the
 * line below it compiles, and each `Same` fails it if the two types differ.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Type } from '@sinclair/typebox';
import type { ApiKey } from '../../src/features/api-keys/api-key.js';
import { defineRoute } from '../../src/features/organizations/api-route.js';
import type { Organization, Project } from '../../src/features/organizations/organization.js';

/** True when A and B are the same type (not merely assignable). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const same = <A, B>(check: Same<A, B>): Same<A, B> => check;
/** `is<Expected>()(value, true)` compiles only when `value` is exactly of type `Expected`. */
const is =
  <Expected>() =>
  <Actual>(_value: Actual, exact: Same<Actual, Expected>): Same<Actual, Expected> =>
    exact;

const base = { summary: 'a route', method: 'GET', paths: ['/api/public/v1.0/x'] } as const;
const done = { status: 204 } as const;

describe('route context types', () => {
  it('follow the route: its access and its body schema', () => {
    const routes = [
      defineRoute({
        ...base,
        name: 'organizationRoute',
        access: { kind: 'organization', role: 'ORG_OWNER' },
        async handle({ apiKey, organization, project, body }) {
          is<Organization>()(organization, true);
          is<ApiKey>()(apiKey, true);
          is<undefined>()(project, true);
          is<undefined>()(body, true);
          return done;
        },
      }),
      defineRoute({
        ...base,
        name: 'projectRoute',
        access: { kind: 'project', role: 'ORG_READ_ONLY' },
        async handle({ organization, project }) {
          is<Organization>()(organization, true);
          is<Project>()(project, true);
          return done;
        },
      }),
      defineRoute({
        ...base,
        name: 'authenticatedRoute',
        access: { kind: 'authenticated' },
        async handle({ apiKey, organization }) {
          is<ApiKey>()(apiKey, true);
          is<undefined>()(organization, true);
          return done;
        },
      }),
      defineRoute({
        ...base,
        name: 'publicRoute',
        access: { kind: 'public' },
        async handle({ apiKey }) {
          is<ApiKey | undefined>()(apiKey, true);
          return done;
        },
      }),
      defineRoute({
        ...base,
        method: 'POST',
        name: 'routeWithBody',
        access: { kind: 'organization', role: 'ORG_OWNER' },
        body: Type.Object({ linkToken: Type.String() }, { additionalProperties: false }),
        async handle({ body }) {
          is<{ linkToken: string }>()(body, true);
          return done;
        },
      }),
      defineRoute({
        ...base,
        method: 'POST',
        paths: ['/api/atlas/v2/x'],
        name: 'routeWithABodyPerVersion',
        access: { kind: 'organization', role: 'ORG_OWNER' },
        versions: ['2023-01-01', '2024-05-30'],
        body: {
          '2023-01-01': Type.Object({ dropEnabled: Type.Boolean() }, { additionalProperties: false }),
          '2024-05-30': Type.Object({ dropDestinationData: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
        },
        async handle({ body }) {
          is<{ dropEnabled: boolean } | { dropDestinationData?: boolean }>()(body, true);
          return done;
        },
      }),
      defineRoute({
        ...base,
        name: 'wrongRole',
        // @ts-expect-error a role no key can have
        access: { kind: 'organization', role: 'ORG_SUPREME_LEADER' },
        async handle() {
          return done;
        },
      }),
    ];
    // The same checks fail the type-check when they should not hold.
    // @ts-expect-error an organization route's organization is not optional
    same<Organization | undefined, Organization>(true);
    assert.deepEqual(
      routes.map((route) => route.access.kind),
      ['organization', 'project', 'authenticated', 'public', 'organization', 'organization', 'organization'],
    );
  });
});
