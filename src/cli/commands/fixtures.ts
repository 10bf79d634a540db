import type { Fixture, FixtureReport, GeneratedSecret } from '../../features/fixtures/fixture.js';
import { readFixtureFile } from '../../features/fixtures/fixture-file.js';
import { DATA_OPTION, JSON_OPTION, usage, type Command } from '../command.js';
import { withLivelink } from '../management.js';
import { emit, table } from '../output.js';

const FILE_HELP: readonly [string, string] = ['FILE', 'a fixture file: YAML (.yaml, .yml) or JSON (.json); see docs/fixtures.md'];

export const fixturesApplyCommand: Command = {
  path: ['fixtures', 'apply'],
  summary: 'Create or update organizations, projects, keys, users … from a fixture file',
  usage: usage({
    synopsis: 'fixtures apply FILE [--data DIR] [--json]',
    description:
      'Applies a fixture file in one transaction: every organization, project, deployment, migration host, cluster,\n' +
      'API key and user it describes is created when missing and changed where it differs; nothing else is touched.\n' +
      'Applying the same file again changes nothing. A key or password the file does not give is generated and\n' +
      'printed this once; a re-apply keeps it. A file with any problem changes nothing (see livelink fixtures check).',
    options: [FILE_HELP],
    json: true,
    examples: ['livelink fixtures apply docs/examples/fixtures.yaml'],
  }),
  options: { ...DATA_OPTION, ...JSON_OPTION },
  operands: ['FILE'],
  async run({ values, operands }, io) {
    const [file = ''] = operands;
    // Checked before the database is opened: a bad file touches nothing.
    const fixture = await readFixtureFile(file);
    const report = await withLivelink(values, io, ({ services }) => services.fixtures.apply(fixture));
    emit(io, values, { file, ...report }, () => describeReport(file, report));
    return 0;
  },
};

export const fixturesCheckCommand: Command = {
  path: ['fixtures', 'check'],
  summary: 'Check a fixture file without applying it',
  usage: usage({
    synopsis: 'fixtures check FILE [--json]',
    description:
      'Reads and checks a fixture file against its schema (docs/fixtures.md) and prints every problem as\n' +
      'FILE:LINE: PATH: MESSAGE; exit code 1 when there is one. Opens no database: what a file would change\n' +
      'is known only when it is applied.',
    options: [FILE_HELP],
    json: true,
    data: false,
    examples: ['livelink fixtures check fixtures.yaml'],
  }),
  options: { ...JSON_OPTION },
  operands: ['FILE'],
  async run({ values, operands }, io) {
    const [file = ''] = operands;
    const counts = countsOf(await readFixtureFile(file));
    emit(io, values, { file, valid: true, ...counts }, () => `${file}: valid (${countsText(counts)})`);
    return 0;
  },
};

export const fixturesCommands: readonly Command[] = [fixturesApplyCommand, fixturesCheckCommand];

/** What applying did, one line an entity, then the generated secrets (shown this once). */
export function describeReport(file: string, report: FixtureReport): string {
  const tally = (outcome: string): number => report.entities.filter((entity) => entity.outcome === outcome).length;
  const lines = [
    `Applied ${file}: ${tally('created')} created, ${tally('updated')} updated, ${tally('unchanged')} unchanged`,
    table(
      ['OUTCOME', 'TYPE', 'NAME', 'ID', 'PATH'],
      report.entities.map((entity) => [
        entity.outcome === 'updated' ? `updated (${(entity.changed ?? []).join(', ')})` : entity.outcome,
        entity.type,
        entity.name,
        entity.id,
        entity.path,
      ]),
      '(the file describes nothing)',
    ),
  ];
  if (report.generated.length > 0) {
    lines.push(
      '',
      'Generated (shown this once: keep them now; a re-apply keeps them and shows them no more):',
      table(['PATH', 'WHAT', 'PUBLIC KEY OR USERNAME', 'PRIVATE KEY OR PASSWORD'], report.generated.map(secretRow), ''),
    );
  }
  return lines.join('\n');
}

function secretRow(secret: GeneratedSecret): string[] {
  switch (secret.type) {
    case 'apiKey':
      return [secret.path, `API key ${JSON.stringify(secret.description)}`, secret.publicKey, secret.privateKey];
    case 'migrationHost':
      return [secret.path, `migration host ${secret.hostname}`, secret.publicKey, secret.privateKey];
    case 'user':
      return [secret.path, 'user', secret.username, secret.password];
  }
}

interface FixtureCounts {
  organizations: number;
  projects: number;
  deployments: number;
  migrationHosts: number;
  clusters: number;
  apiKeys: number;
  users: number;
}

function countsOf(fixture: Fixture): FixtureCounts {
  const projects = fixture.organizations.flatMap((org) => org.projects);
  return {
    organizations: fixture.organizations.length,
    projects: projects.length,
    deployments: projects.reduce((n, project) => n + project.deployments.length, 0),
    migrationHosts: projects.reduce((n, project) => n + project.migrationHosts.length, 0),
    clusters: projects.reduce((n, project) => n + project.clusters.length, 0),
    apiKeys: fixture.globalApiKeys.length + fixture.organizations.reduce((n, org) => n + org.apiKeys.length, 0),
    users: fixture.organizations.reduce((n, org) => n + org.users.length, 0),
  };
}

function countsText(counts: FixtureCounts): string {
  const words: Record<keyof FixtureCounts, [string, string]> = {
    organizations: ['organization', 'organizations'],
    projects: ['project', 'projects'],
    deployments: ['deployment', 'deployments'],
    migrationHosts: ['migration host', 'migration hosts'],
    clusters: ['cluster', 'clusters'],
    apiKeys: ['API key', 'API keys'],
    users: ['user', 'users'],
  };
  return (Object.keys(words) as (keyof FixtureCounts)[])
    .map((field) => `${counts[field]} ${words[field][counts[field] === 1 ? 0 : 1]}`)
    .join(', ');
}
