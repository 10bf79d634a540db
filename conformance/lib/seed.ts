/**
 * Seeds livelink data folders through its own CLI (`node bin/livelink.js ...`), as an operator would.
 */
import { runCommand } from './processes.js';

export interface OrgKey {
  orgId: string;
  publicKey: string;
  privateKey: string;
}

/** What a client leg needs: the two roles' URLs, an owner key on each side, and the seeded facts. */
export interface Fixture {
  setup: string;
  sourceUrl: string;
  targetUrl: string;
  source: OrgKey;
  target: OrgKey;
  /** An organization on the source that the source key is not a member of. */
  sourceOtherOrg: string;
  /** An organization on the target that the target key is not a member of. */
  targetOtherOrg: string;
  projectId: string;
  projectName: string;
  migrationHost: string;
  /** A project of the target organization (with a destination cluster). */
  targetProjectId: string;
  /**
   * Keys of the same organizations used only for the wrong-private-key checks, one per client leg:
   * livelink blocks a (public key, address) pair for 300 s after 5 failed digests in 60 s, so those
   * checks must not spend the budget of the keys the flows use, nor of each other.
   */
  probes: Record<ProbeLeg, { source: string; target: string }>;
  /** A source key that the Python leg deliberately gets blocked, to check the 429 a client sees. */
  sourceThrottle: OrgKey;
}

export type ProbeLeg = 'go' | 'python' | 'curl';
export const PROBE_LEGS: readonly ProbeLeg[] = ['go', 'python', 'curl'];

export class Seeder {
  constructor(
    private readonly repoRoot: string,
    private readonly dataDir: string,
  ) {}

  /** Runs one `livelink ... --json --data DIR` command and parses what it printed. */
  async json(args: readonly string[]): Promise<unknown> {
    const result = await runCommand(process.execPath, ['bin/livelink.js', ...args, '--json', '--data', this.dataDir], {
      cwd: this.repoRoot,
      timeoutMs: 60_000,
    });
    if (result.exitCode !== 0) {
      throw new Error(`livelink ${args.join(' ')} failed (exit ${result.exitCode}): ${result.stderr.trim() || result.stdout.trim()}`);
    }
    try {
      return JSON.parse(result.stdout) as unknown;
    } catch {
      throw new Error(`livelink ${args.join(' ')} printed no JSON: ${result.stdout.slice(0, 200)}`);
    }
  }

  /** `livelink init`: the demo pair (source org with "Demo Project", a deployment and a migration host; target org). */
  async init(): Promise<{ source: OrgKey; target: OrgKey }> {
    const printed = field(await this.json(['init']), 'init');
    return { source: orgKey(printed['source'], 'init source'), target: orgKey(printed['target'], 'init target') };
  }

  async createOrg(name: string): Promise<string> {
    return text(field(await this.json(['org', 'create', '--name', name]), 'org create')['id'], 'org create id');
  }

  async createOwnerKey(orgId: string): Promise<OrgKey> {
    const key = field(
      await this.json(['apikey', 'create', '--org', orgId, '--role', 'ORG_OWNER', '--description', 'conformance run']),
      'apikey create',
    );
    return { orgId, publicKey: text(key['publicKey'], 'publicKey'), privateKey: text(key['privateKey'], 'privateKey') };
  }

  /** A key nobody authenticates with: the one the fuzz passes may update and delete through the API-key routes. */
  async createSpareKey(orgId: string): Promise<string> {
    const key = field(
      await this.json(['apikey', 'create', '--org', orgId, '--role', 'ORG_MEMBER', '--description', 'conformance spare key']),
      'apikey create (spare)',
    );
    return text(key['id'], 'spare key id');
  }

  async createProject(orgId: string, name: string): Promise<string> {
    return text(field(await this.json(['project', 'create', '--org', orgId, '--name', name]), 'project create')['id'], 'project id');
  }

  async projectIdByName(orgId: string, name: string): Promise<string> {
    const listed = await this.json(['project', 'list', '--org', orgId]);
    const found = Array.isArray(listed) ? listed.map((p) => field(p, 'project')).find((p) => p['name'] === name) : undefined;
    if (found === undefined) throw new Error(`no project named ${name} in organization ${orgId}`);
    return text(found['id'], 'project id');
  }

  async createDeployment(projectId: string, name: string): Promise<void> {
    await this.json([
      'deployment',
      'create',
      '--project',
      projectId,
      '--name',
      name,
      '--mongodb-version',
      '6.0.14',
      '--fcv',
      '6.0',
      '--agent-version',
      '12.0.33.7866-1',
    ]);
  }

  async addMigrationHost(projectId: string, hostname: string): Promise<void> {
    await this.json(['migration-host', 'add', '--project', projectId, '--hostname', hostname]);
  }

  /** A new migration host of the project, and the key only it may use (printed once, by this command). */
  async addMigrationHostWithKey(projectId: string, hostname: string): Promise<{ hostname: string; publicKey: string; privateKey: string }> {
    const added = field(await this.json(['migration-host', 'add', '--project', projectId, '--hostname', hostname]), 'migration-host add');
    const key = field(added['apiKey'], `migration-host add ${hostname}: apiKey (a host that already had a key prints none)`);
    return { hostname, publicKey: text(key['publicKey'], 'publicKey'), privateKey: text(key['privateKey'], 'privateKey') };
  }

  /** A destination cluster of an Atlas project, stored offline: nothing listens at its address. */
  async createCluster(projectId: string, name: string): Promise<string> {
    const created = await this.json([
      'cluster',
      'create',
      '--project',
      projectId,
      '--name',
      name,
      '--connection-string',
      'mongodb://127.0.0.1:1/',
      '--no-check',
      '--mongodb-version',
      '8.0.4',
    ]);
    return text(field(created, 'cluster create')['name'], 'cluster name');
  }

  async firstMigrationHost(projectId: string): Promise<string> {
    const listed = await this.json(['migration-host', 'list', '--project', projectId]);
    const first = Array.isArray(listed) && listed.length > 0 ? field(listed[0], 'migration host') : undefined;
    if (first === undefined) throw new Error(`project ${projectId} has no migration host`);
    return text(first['hostname'], 'hostname');
  }
}

function field(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${what}: expected a JSON object`);
  return value as Record<string, unknown>;
}

function text(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '') throw new Error(`${what}: expected a non-empty string`);
  return value;
}

function orgKey(value: unknown, what: string): OrgKey {
  const record = field(value, what);
  return {
    orgId: text(record['orgId'], `${what} orgId`),
    publicKey: text(record['publicKey'], `${what} publicKey`),
    privateKey: text(record['privateKey'], `${what} privateKey`),
  };
}

/** Seeds the probe keys and the throttle key of a fixture (see Fixture.probes). */
export async function seedProbeKeys(
  sourceSeed: Seeder,
  targetSeed: Seeder,
  source: OrgKey,
  target: OrgKey,
): Promise<{ probes: Fixture['probes']; sourceThrottle: OrgKey }> {
  const probes = {} as Fixture['probes'];
  for (const leg of PROBE_LEGS) {
    probes[leg] = {
      source: (await sourceSeed.createOwnerKey(source.orgId)).publicKey,
      target: (await targetSeed.createOwnerKey(target.orgId)).publicKey,
    };
  }
  return { probes, sourceThrottle: await sourceSeed.createOwnerKey(source.orgId) };
}

/** The environment the client programs read (LIVELINK_CONFORMANCE_*). */
export function clientEnv(fixture: Fixture, leg: ProbeLeg): Record<string, string> {
  return {
    LIVELINK_CONFORMANCE_SOURCE_PROBE_PUBLIC_KEY: fixture.probes[leg].source,
    LIVELINK_CONFORMANCE_TARGET_PROBE_PUBLIC_KEY: fixture.probes[leg].target,
    LIVELINK_CONFORMANCE_SOURCE_THROTTLE_PUBLIC_KEY: fixture.sourceThrottle.publicKey,
    LIVELINK_CONFORMANCE_SOURCE_THROTTLE_PRIVATE_KEY: fixture.sourceThrottle.privateKey,
    LIVELINK_CONFORMANCE_SOURCE_URL: fixture.sourceUrl,
    LIVELINK_CONFORMANCE_SOURCE_ORG: fixture.source.orgId,
    LIVELINK_CONFORMANCE_SOURCE_OTHER_ORG: fixture.sourceOtherOrg,
    LIVELINK_CONFORMANCE_SOURCE_PUBLIC_KEY: fixture.source.publicKey,
    LIVELINK_CONFORMANCE_SOURCE_PRIVATE_KEY: fixture.source.privateKey,
    LIVELINK_CONFORMANCE_TARGET_URL: fixture.targetUrl,
    LIVELINK_CONFORMANCE_TARGET_ORG: fixture.target.orgId,
    LIVELINK_CONFORMANCE_TARGET_OTHER_ORG: fixture.targetOtherOrg,
    LIVELINK_CONFORMANCE_TARGET_PUBLIC_KEY: fixture.target.publicKey,
    LIVELINK_CONFORMANCE_TARGET_PRIVATE_KEY: fixture.target.privateKey,
    LIVELINK_CONFORMANCE_PROJECT_NAME: fixture.projectName,
    LIVELINK_CONFORMANCE_MIGRATION_HOST: fixture.migrationHost,
    LIVELINK_CONFORMANCE_TARGET_PROJECT: fixture.targetProjectId,
  };
}
