import { apiErrors } from '../../http/api-error.js';
import { DATA_OPTION, JSON_OPTION, usage, type Command } from '../command.js';
import { nameFlag, objectIdFlag } from '../flags.js';
import { withLivelink } from '../management.js';
import { emit, fields, table } from '../output.js';

export const projectCreateCommand: Command = {
  path: ['project', 'create'],
  summary: 'Create a project in an organization',
  usage: usage({
    synopsis: 'project create --org ID --name NAME [--data DIR] [--json]',
    description: 'Creates a project (an Ops Manager group) in an organization. Names are unique within the organization.',
    options: [
      ['--org ID', 'organization id (24 hex digits)'],
      ['--name NAME', 'project name, 1 to 64 characters'],
    ],
    json: true,
    examples: ['livelink project create --org 65f0c0ffee0123456789abcd --name "Payments"'],
  }),
  options: { org: { type: 'string' }, name: { type: 'string' }, ...DATA_OPTION, ...JSON_OPTION },
  async run({ values }, io) {
    const orgId = objectIdFlag(values, 'org');
    const name = nameFlag(values, 'name');
    const project = await withLivelink(values, io, ({ services }) => services.organizations.createProject(orgId, name));
    emit(io, values, project, () =>
      [
        `Created project ${project.id}`,
        fields([
          ['name', project.name],
          ['organization', project.orgId],
          ['created', project.createdAt],
        ]),
      ].join('\n'),
    );
    return 0;
  },
};

export const projectListCommand: Command = {
  path: ['project', 'list'],
  summary: "List an organization's projects",
  usage: usage({
    synopsis: 'project list --org ID [--data DIR] [--json]',
    description: "Lists an organization's projects.",
    options: [['--org ID', 'organization id (24 hex digits)']],
    json: true,
  }),
  options: { org: { type: 'string' }, ...DATA_OPTION, ...JSON_OPTION },
  async run({ values }, io) {
    const orgId = objectIdFlag(values, 'org');
    const projects = await withLivelink(values, io, async ({ services }) => {
      if ((await services.organizations.getOrganization(orgId)) === undefined) throw apiErrors.orgNotFound(orgId);
      return services.organizations.listProjects(orgId);
    });
    emit(io, values, projects, () =>
      table(
        ['ID', 'NAME', 'CREATED'],
        projects.map((p) => [p.id, p.name, p.createdAt]),
        `No projects in organization ${orgId}.`,
      ),
    );
    return 0;
  },
};

export const projectCommands: readonly Command[] = [projectCreateCommand, projectListCommand];
