/**
 * The user and session services, as the composition root wires them on SQLite: password hashing and
 * verification, user rules, and sessions stored as hashes with a sliding and a hard expiry.
 */
import assert from 'node:assert/strict';
import crypto, { createHash, type ScryptOptions } from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { after, before, describe, it, mock } from 'node:test';
import { hashPassword, verifyPassword } from '../../src/features/users/password-hash.js';
import { userMeetsRequirement } from '../../src/features/users/user.js';
import type { UserService } from '../../src/features/users/user-service.js';
import { SESSION_IDLE_MS, SESSION_MAX_MS, type SessionService } from '../../src/features/web/session-service.js';
import { ApiError } from '../../src/http/api-error.js';
import type { OpenedDatabase } from '../../src/persistence/database.js';
import { composeLivelink } from '../support/livelink-fixture.js';

describe('password hashes', () => {
  it('are scrypt with N=2^15, a random salt, and verify only the right password', async () => {
    const first = await hashPassword('correct horse battery');
    const second = await hashPassword('correct horse battery');
    assert.match(first, /^scrypt\$32768\$8\$1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
    assert.notEqual(first, second, 'a fresh salt each time');
    assert.equal(await verifyPassword('correct horse battery', first), true);
    assert.equal(await verifyPassword('correct horse batterY', first), false);
    assert.equal(await verifyPassword('', first), false);
  });

  it('refuse a malformed or tampered hash instead of throwing', async () => {
    for (const stored of ['', 'scrypt$1$2$3', 'bcrypt$x$y$z$a$b', 'scrypt$1073741824$8$1$AAAA$AAAA', 'scrypt$abc$8$1$AAAA$AAAA']) {
      assert.equal(await verifyPassword('password', stored), false, stored);
    }
  });

  // What a sign-in costs is set by the work, not measured here (a clock says more about the machine's
  // load than about the code): one scrypt derivation at N=2^15, r=8, p=1, 32 MiB, which took about
  // 85 ms on the 2-core build machine. A stored hash demanding more than 256 MiB is refused unworked.
  it('cost one scrypt derivation at the stored N=2^15, r=8, p=1 to verify, and no more than 256 MiB', async () => {
    const stored = await hashPassword('timing password');
    const derivations: ScryptOptions[] = [];
    const scrypt = crypto.scrypt;
    mock.method(crypto, 'scrypt', (...args: Parameters<typeof crypto.scrypt>) => {
      derivations.push(args[3] as ScryptOptions);
      return scrypt(...args);
    });
    // password-hash.ts imports `scrypt` by name: this carries the spy over to that binding.
    syncBuiltinESMExports();
    try {
      assert.equal(await verifyPassword('timing password', stored), true);
      assert.equal(await verifyPassword('wrong password', stored), false);
      assert.equal(await verifyPassword('timing password', stored.replace('$32768$', '$524288$')), false, '512 MiB: refused');
    } finally {
      mock.restoreAll();
      syncBuiltinESMExports();
    }
    assert.deepEqual(
      derivations.map(({ N, r, p }) => ({ N, r, p })),
      [
        { N: 32768, r: 8, p: 1 },
        { N: 32768, r: 8, p: 1 },
        { N: 524288, r: 8, p: 1 },
      ],
    );
    assert.ok(derivations.every((options) => options.maxmem === 256 * 1024 * 1024));
  });
});

describe('UserService', () => {
  let composed: Awaited<ReturnType<typeof composeLivelink>>;
  let database: OpenedDatabase;
  let users: UserService;
  let orgId: string;
  let otherOrgId: string;

  before(async () => {
    composed = await composeLivelink();
    database = composed.livelink.database;
    const { organizations } = composed.livelink.services;
    users = composed.livelink.services.users;
    orgId = (await organizations.createOrganization('Org A')).id;
    otherOrgId = (await organizations.createOrganization('Org B')).id;
  });
  after(() => composed.close());

  it('creates a user in lower case, stores only a hash, and verifies the password', async () => {
    const user = await users.create({ orgId, username: '  Ana.Owner ', role: 'ORG_OWNER', password: 'a long password' });
    assert.equal(user.username, 'ana.owner');
    const row = await database.db.selectFrom('users').selectAll().where('id', '=', user.id).executeTakeFirstOrThrow();
    assert.doesNotMatch(row.password_hash, /a long password/);
    assert.match(row.password_hash, /^scrypt\$/);
    assert.deepEqual(await users.verify('ANA.OWNER', 'a long password'), user);
    assert.equal(await users.verify('ana.owner', 'a long passworD'), undefined);
    assert.equal(await users.verify('nobody', 'a long password'), undefined);
    assert.deepEqual(await users.list(orgId), [user]);
    assert.deepEqual(await users.list(otherOrgId), []);
  });

  it('refuses a taken username, a bad username, role or password, and an unknown organization', async () => {
    await users.create({ orgId, username: 'taken', role: 'ORG_MEMBER', password: 'password1' });
    const refusal = async (request: Parameters<UserService['create']>[0]): Promise<[number, string, string]> => {
      try {
        await users.create(request);
      } catch (error) {
        assert.ok(error instanceof ApiError);
        return [error.status, error.errorCode, error.detail];
      }
      throw new Error('created');
    };
    assert.deepEqual(await refusal({ orgId: otherOrgId, username: 'TAKEN', role: 'ORG_OWNER', password: 'password1' }), [
      409,
      'USER_ALREADY_EXISTS',
      'A user with username taken already exists.',
    ]);
    assert.equal((await refusal({ orgId, username: 'has space', role: 'ORG_OWNER', password: 'password1' }))[1], 'INVALID_ATTRIBUTE');
    assert.equal((await refusal({ orgId, username: 'x'.repeat(51), role: 'ORG_OWNER', password: 'password1' }))[1], 'INVALID_ATTRIBUTE');
    assert.deepEqual((await refusal({ orgId, username: 'linker', role: 'ORG_LIVE_MIGRATION_LINK', password: 'password1' })).slice(0, 2), [
      400,
      'INVALID_ATTRIBUTE',
    ]);
    assert.deepEqual(await refusal({ orgId, username: 'shorty', role: 'ORG_OWNER', password: 'short' }), [
      400,
      'INVALID_ATTRIBUTE',
      'Invalid attribute password specified: a password has 8 to 256 characters.',
    ]);
    assert.equal(
      (await refusal({ orgId: 'ffffffffffffffffffffffff', username: 'ghost', role: 'ORG_OWNER', password: 'password1' }))[1],
      'ORG_NOT_FOUND',
    );
  });

  it('judges roles with the API keys’ table: owners may change the link, readers may only read', async () => {
    const owner = await users.create({ orgId, username: 'owner2', role: 'ORG_OWNER', password: 'password1' });
    const reader = await users.create({ orgId, username: 'reader', role: 'ORG_READ_ONLY', password: 'password1' });
    assert.equal(userMeetsRequirement(owner, 'ORG_OWNER', orgId), true);
    assert.equal(userMeetsRequirement(owner, 'ORG_OWNER', otherOrgId), false);
    assert.equal(userMeetsRequirement(reader, 'ORG_OWNER', orgId), false);
    assert.equal(userMeetsRequirement(reader, 'ORG_READ_ONLY', orgId), true);
  });

  it('sets a new password', async () => {
    const user = await users.create({ orgId, username: 'changer', role: 'ORG_OWNER', password: 'password1' });
    await users.setPassword(user.id, 'password2');
    assert.equal(await users.verify('changer', 'password1'), undefined);
    assert.deepEqual(await users.verify('changer', 'password2'), user);
  });
});

describe('SessionService', () => {
  let composed: Awaited<ReturnType<typeof composeLivelink>>;
  let database: OpenedDatabase;
  let userId: string;
  let clock = 1_700_000_000_000;
  let sessions: SessionService;

  before(async () => {
    composed = await composeLivelink({}, { now: () => new Date(clock) });
    database = composed.livelink.database;
    const { organizations, users } = composed.livelink.services;
    const orgId = (await organizations.createOrganization('Org')).id;
    userId = (await users.create({ orgId, username: 'sam', role: 'ORG_OWNER', password: 'password1' })).id;
    sessions = composed.livelink.services.sessions;
  });
  after(() => composed.close());

  it('keeps only the SHA-256 of the session id, with a per-session CSRF token', async () => {
    const { id, session } = await sessions.start(userId);
    assert.match(id, /^[A-Za-z0-9_-]{43}$/);
    const rows = await database.db.selectFrom('web_sessions').selectAll().execute();
    const row = rows.find((r) => r.id_hash === createHash('sha256').update(id).digest('hex'));
    assert.ok(row, 'stored under the hash');
    assert.ok(rows.every((r) => r.id_hash !== id && !r.id_hash.includes(id)));
    assert.equal(row.csrf_token, session.csrfToken);
    assert.deepEqual(await sessions.resolve(id), session);
    assert.equal(await sessions.resolve(createHash('sha256').update(id).digest('hex')), undefined, 'the stored hash is not a session id');
  });

  it('slides the expiry while used, ends when idle, and ends at the absolute lifetime however used', async () => {
    const { id } = await sessions.start(userId);
    const start = clock;
    // Used every 7 hours: each use moves the 8-hour idle limit forward.
    for (let use = 1; use <= 3; use += 1) {
      clock = start + use * (SESSION_IDLE_MS - 60 * 60_000);
      assert.ok(await sessions.resolve(id), `use ${use}`);
    }
    clock = start + SESSION_MAX_MS - 1000;
    assert.ok(await sessions.resolve(id));
    clock = start + SESSION_MAX_MS;
    assert.equal(await sessions.resolve(id), undefined, 'over the absolute lifetime');

    const idle = await sessions.start(userId);
    clock += SESSION_IDLE_MS;
    assert.equal(await sessions.resolve(idle.id), undefined, 'idle too long');
  });

  it('ends a session', async () => {
    const { id } = await sessions.start(userId);
    await sessions.end(id);
    assert.equal(await sessions.resolve(id), undefined);
  });
});
