/**
 * The source calls the target about one organization one call at a time. The target keeps the last
 * inventory it received, so two pushes in flight at once could leave it with the older one: a
 * "Refresh" (the link POST again with the same token) sent while the sync loop's push is held, whose
 * push overtakes the held one. And a disconnect must not be followed by a push that was in flight.
 * A target in the process holds the first push until the test lets it go; everything else here runs
 * without I/O, so a fixed number of event-loop turns is enough for a second call to reach the target.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Livelink } from '../../src/app/livelink.js';
import type { SourceInventory } from '../../src/features/link-tokens/available-project.js';
import { encodeLinkToken } from '../../src/features/link-tokens/link-token-codec.js';
import type { TargetClient, TargetFailure, TargetOutcome } from '../../src/features/migration-link/target-client.js';
import type { Organization } from '../../src/features/organizations/organization.js';
import { composeLivelink } from '../support/livelink-fixture.js';

const TOKEN = encodeLinkToken({
  orgId: 'aaaaaaaaaaaaaaaaaaaaaaaa',
  orgName: 'Atlas Org',
  privateApiKey: '11111111-2222-4333-8444-555555555555',
  publicApiKey: 'zyxwvuts',
});

/** Lets every callback that is ready run, `turns` times over: what needs no I/O is done after it. */
async function drain(turns = 50): Promise<void> {
  for (let turn = 0; turn < turns; turn += 1) await new Promise((resolve) => setImmediate(resolve));
}

/** Stands in for Atlas: keeps the last inventory received, and can hold the next call until released. */
class HoldingTarget implements TargetClient {
  readonly baseUrl = 'http://atlas.invalid';
  /** The calls in the order they reached the target, and the most that were in flight at once. */
  readonly calls: string[] = [];
  maxInFlight = 0;
  kept: SourceInventory | undefined;
  #inFlight = 0;
  #hold: Promise<void> | undefined;
  #held: (() => void) | undefined;

  /** The next call waits at the target until the returned function is called. */
  holdNext(): () => void {
    let release = () => {};
    this.#hold = new Promise<void>((resolve) => (release = resolve));
    return release;
  }

  /** Resolves once a held call has arrived. */
  arrived(): Promise<void> {
    return new Promise((resolve) => (this.#held = resolve));
  }

  async #call(name: string, keep: () => void): Promise<TargetOutcome> {
    this.calls.push(name);
    this.#inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.#inFlight);
    const hold = this.#hold;
    this.#hold = undefined;
    if (hold !== undefined) {
      this.#held?.();
      await hold;
    }
    keep();
    this.#inFlight -= 1;
    return { kind: 'accepted' };
  }

  pushInventory(_token: unknown, _sourceOrgId: string, inventory: SourceInventory): Promise<TargetOutcome> {
    return this.#call('push', () => (this.kept = inventory));
  }
  forgetSource(): Promise<TargetOutcome> {
    return this.#call('forget', () => (this.kept = undefined));
  }
  migrationJob(): Promise<TargetFailure> {
    return Promise.resolve({ kind: 'unreachable', detail: 'not used here' });
  }
  reportMigrationJob(): Promise<TargetFailure> {
    return this.migrationJob();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

describe('calls to the target about one organization', () => {
  const target = new HoldingTarget();
  let livelink: Livelink;
  let close: () => Promise<void>;
  let organization: Organization;

  const projectNames = () => target.kept?.projects.map((project) => project.name).sort();

  before(async () => {
    ({ livelink, close } = await composeLivelink({ role: 'source', 'target-url': 'http://atlas.invalid' }, { targetClient: target }));
    organization = await livelink.services.organizations.createOrganization('Ops Org');
    await livelink.services.organizations.createProject(organization.id, 'First');
    assert.equal(await livelink.services.migrationLinks.connect(organization, TOKEN), 'SYNCED');
    assert.deepEqual(projectNames(), ['First']);
  });
  after(() => close());

  it('are made one after the other, so a Refresh during a held push leaves the target with the newer inventory', async () => {
    const { organizations, migrationLinks } = livelink.services;
    target.calls.length = 0;
    target.maxInFlight = 0;
    await organizations.createProject(organization.id, 'Second');
    const release = target.holdNext();
    const arrived = target.arrived();
    // The sync loop's push, carrying First and Second, is held at the target...
    const loopPush = migrationLinks.sync(organization.id);
    await arrived;
    // ...while a project is added and the user presses Refresh.
    await organizations.createProject(organization.id, 'Third');
    const refresh = migrationLinks.connect(organization, TOKEN);
    await drain();
    assert.deepEqual(target.calls, ['push'], 'the Refresh waits for the push in flight');
    release();

    assert.equal((await loopPush).status, 'SYNCED');
    assert.equal(await refresh, 'SYNCED');
    assert.deepEqual(target.calls, ['push', 'push']);
    assert.equal(target.maxInFlight, 1);
    assert.deepEqual(projectNames(), ['First', 'Second', 'Third']);
  });

  it('skips, in a sync pass, an organization whose push is in flight', async () => {
    const { organizations, migrationLinks } = livelink.services;
    target.calls.length = 0;
    await organizations.createProject(organization.id, 'Fourth');
    const release = target.holdNext();
    const arrived = target.arrived();
    const refresh = migrationLinks.connect(organization, TOKEN);
    await arrived;
    // Due (changed since its last push), but being pushed: the pass leaves it to that push.
    assert.deepEqual(await migrationLinks.syncDue(60_000), []);
    release();
    assert.equal(await refresh, 'SYNCED');
    assert.deepEqual(target.calls, ['push']);
    assert.deepEqual(projectNames(), ['First', 'Fourth', 'Second', 'Third']);
  });

  it('end with the disconnect: a push in flight lands before it, not after', async () => {
    const { migrationLinks } = livelink.services;
    target.calls.length = 0;
    const release = target.holdNext();
    const arrived = target.arrived();
    const loopPush = migrationLinks.sync(organization.id);
    await arrived;
    const disconnect = migrationLinks.disconnect(organization);
    await drain();
    assert.deepEqual(target.calls, ['push'], 'the disconnect waits for the push in flight');
    release();
    await loopPush;
    await disconnect;
    assert.deepEqual(target.calls, ['push', 'forget']);
    assert.equal(target.kept, undefined);
    assert.equal(await migrationLinks.status(organization.id), 'NOT_SYNCED');
  });
});
