import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Organization, Project } from '../../src/features/organizations/organization.js';
import { cli, cliJson, inFreshDataDirEachTest } from './helpers.js';

interface HostJson {
  projectId: string;
  hostname: string;
}

describe('livelink migration-host', () => {
  let data = '';
  let project: Project;
  inFreshDataDirEachTest(async (dir) => {
    data = dir;
    const org = await cliJson<Organization>(['org', 'create', '--name', 'Acme', '--data', data]);
    project = await cliJson<Project>(['project', 'create', '--org', org.id, '--name', 'Payments', '--data', data]);
  });

  const host = (verb: string, hostname: string): Promise<HostJson> =>
    cliJson<HostJson>(['migration-host', verb, '--project', project.id, '--hostname', hostname, '--data', data]);
  const list = (): Promise<HostJson[]> => cliJson<HostJson[]>(['migration-host', 'list', '--project', project.id, '--data', data]);

  it('adds hosts (twice is once), lists them, and removes one (--json round trip)', async () => {
    assert.deepEqual(await list(), []);
    assert.deepEqual(await host('add', 'mh2.example.internal'), { projectId: project.id, hostname: 'mh2.example.internal' });
    await host('add', 'mh1.example.internal');
    await host('add', 'mh2.example.internal');
    assert.deepEqual(await list(), [
      { projectId: project.id, hostname: 'mh1.example.internal' },
      { projectId: project.id, hostname: 'mh2.example.internal' },
    ]);

    assert.deepEqual(await host('remove', 'mh2.example.internal'), { projectId: project.id, hostname: 'mh2.example.internal' });
    assert.deepEqual(await list(), [{ projectId: project.id, hostname: 'mh1.example.internal' }]);
  });

  it('exits 1 when removing a host the project does not have', async () => {
    assert.deepEqual(
      await cli(['migration-host', 'remove', '--project', project.id, '--hostname', 'ghost.example.internal', '--data', data]),
      {
        code: 1,
        stdout: '',
        stderr: `livelink migration-host remove: project ${project.id} has no migration host ghost.example.internal.\n`,
      },
    );
  });

  it('exits 1 with the detail for an unknown project', async () => {
    const missing = '65f0c0ffee0123456789abcd';
    for (const verb of ['add', 'remove']) {
      assert.deepEqual(await cli(['migration-host', verb, '--project', missing, '--hostname', 'mh1', '--data', data]), {
        code: 1,
        stdout: '',
        stderr: `livelink migration-host ${verb}: No group with ID ${missing} exists.\n`,
      });
    }
    assert.deepEqual(await cli(['migration-host', 'list', '--project', missing, '--data', data]), {
      code: 1,
      stdout: '',
      stderr: `livelink migration-host list: No group with ID ${missing} exists.\n`,
    });
  });

  it('prints text without --json', async () => {
    assert.deepEqual(await cli(['migration-host', 'add', '--project', project.id, '--hostname', 'mh1.example.internal', '--data', data]), {
      code: 0,
      stdout: `Migration host mh1.example.internal is in project ${project.id}.\n`,
      stderr: '',
    });
    assert.deepEqual(await cli(['migration-host', 'list', '--project', project.id, '--data', data]), {
      code: 0,
      stdout: 'HOSTNAME\nmh1.example.internal\n',
      stderr: '',
    });
  });
});
