import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Livelink } from '../../app/livelink.js';
import type { NewDeployment, Organization } from '../../features/organizations/organization.js';
import { INIT_SNAPSHOT } from '../../features/snapshots/snapshot.js';
import { generatedPassword } from '../../features/users/password-hash.js';
import { isUserRole, roleLabel, type UserRole } from '../../features/users/user.js';
import { CommandError, DATA_OPTION, JSON_OPTION, usage, type Command } from '../command.js';
import { withLivelink } from '../management.js';
import { emit, fields } from '../output.js';

export const DEMO_SOURCE_ORG_NAME = 'Demo Ops Manager Organization';
export const DEMO_TARGET_ORG_NAME = 'Demo Atlas Organization';
export const DEMO_PROJECT_NAME = 'Demo Project';
export const DEMO_MIGRATION_HOST = 'migration-host-1.example.internal';
/** The Atlas project of the target organization that holds the demo's destination cluster. */
export const DEMO_ATLAS_PROJECT_NAME = 'Demo Atlas Project';
export const DEMO_DEPLOYMENT: Omit<NewDeployment, 'projectId'> = {
  name: 'rs-demo',
  mongoDBVersion: '6.0.14',
  featureCompatibilityVersion: '6.0',
  managed: true,
  sharded: false,
  shardsSize: null,
  tlsEnabled: false,
  agentVersion: '12.0.33.7866-1',
  dbSizeBytes: 1073741824,
  oplogSizeMB: 2048,
};
export const DEMO_CREDENTIALS_FILE = 'demo-credentials.json';

export interface DemoKey {
  orgId: string;
  publicKey: string;
  privateKey: string;
}

/** A demo user of the web pages; the password is generated, and kept in the file like the keys. */
export interface DemoUser {
  username: string;
  password: string;
  role: UserRole;
  orgId: string;
}

/** The demo migration host's own API key (role ORG_MIGRATION_HOST), which `migration-host run` authenticates with. */
export interface DemoMigrationHost {
  projectId: string;
  hostname: string;
  publicKey: string;
  privateKey: string;
}

/** The Atlas project a demo destination cluster goes in. */
export interface DemoAtlasProject {
  orgId: string;
  projectId: string;
  name: string;
}

export interface DemoCredentials {
  source: DemoKey;
  target: DemoKey;
  users: DemoUser[];
  atlasProject: DemoAtlasProject;
  migrationHost: DemoMigrationHost;
}

/** What a saved file may lack: files written before the live migrations have no Atlas project nor host key. */
type SavedDemoCredentials = Omit<DemoCredentials, 'atlasProject' | 'migrationHost'> & Partial<DemoCredentials>;

/** The demo's users: an owner and a read-only user of the source, an owner of the target. */
export const DEMO_USERS: readonly { username: string; side: 'source' | 'target'; role: UserRole }[] = [
  { username: 'source-owner', side: 'source', role: 'ORG_OWNER' },
  { username: 'source-viewer', side: 'source', role: 'ORG_READ_ONLY' },
  { username: 'target-owner', side: 'target', role: 'ORG_OWNER' },
];

export interface DemoSetup {
  credentials: DemoCredentials;
  /** False when everything was there already and nothing was written. */
  created: boolean;
  file: string;
}

/**
 * Sets up the demo pair once. The services show a private key only at creation and keep only digest
 * secrets, so the demo keeps its two keys in `<data>/demo-credentials.json` (mode 0600) to show them again
 * on later runs. When that file and what it names are all there, nothing is created or written. When
 * something is missing (the file, an organization, a key), the parts still there are reused, by id or
 * else by name, and only the rest is created, so repeated runs never pile up demo organizations.
 */
export async function ensureDemo(livelink: Livelink): Promise<DemoSetup> {
  const file = join(livelink.config.dataDir, DEMO_CREDENTIALS_FILE);
  const saved = readDemoCredentials(file);
  const { organizations, apiKeys, users, migrationHosts } = livelink.services;

  const keyExists = async (key: DemoKey): Promise<boolean> =>
    (await organizations.getOrganization(key.orgId)) !== undefined &&
    (await apiKeys.list(key.orgId)).some((k) => k.publicKey === key.publicKey);
  const userWorks = async (user: DemoUser): Promise<boolean> => (await users.verify(user.username, user.password))?.orgId === user.orgId;
  const savedUser = (username: string, orgId: string): DemoUser | undefined =>
    saved?.users.find((u) => u.username === username && u.orgId === orgId);
  const allUsersWork = async (credentials: SavedDemoCredentials): Promise<boolean> => {
    for (const spec of DEMO_USERS) {
      const user = savedUser(spec.username, credentials[spec.side].orgId);
      if (user === undefined || !(await userWorks(user))) return false;
    }
    return true;
  };
  const hostKeyWorks = async (host: DemoMigrationHost | undefined, sourceOrgId: string): Promise<boolean> => {
    if (host === undefined) return false;
    const apiKey = (await apiKeys.list(sourceOrgId)).find((k) => k.publicKey === host.publicKey);
    return apiKey !== undefined && (await migrationHosts.isHostKey(apiKey, host.projectId, host.hostname));
  };
  const atlasProjectExists = async (project: DemoAtlasProject | undefined, targetOrgId: string): Promise<boolean> =>
    project !== undefined && project.orgId === targetOrgId && (await organizations.getProject(project.projectId))?.orgId === targetOrgId;
  if (
    saved?.migrationHost !== undefined &&
    saved.atlasProject !== undefined &&
    (await keyExists(saved.source)) &&
    (await keyExists(saved.target)) &&
    (await allUsersWork(saved)) &&
    (await hostKeyWorks(saved.migrationHost, saved.source.orgId)) &&
    (await atlasProjectExists(saved.atlasProject, saved.target.orgId))
  ) {
    return { credentials: { ...saved, migrationHost: saved.migrationHost, atlasProject: saved.atlasProject }, created: false, file };
  }

  const organization = async (savedId: string | undefined, name: string): Promise<Organization> =>
    (savedId === undefined ? undefined : await organizations.getOrganization(savedId)) ??
    (await organizations.findOrganizationByName(name)) ??
    (await organizations.createOrganization(name));
  const key = async (orgId: string, savedKey: DemoKey | undefined): Promise<DemoKey> => {
    if (savedKey !== undefined && savedKey.orgId === orgId && (await keyExists(savedKey))) return savedKey;
    const created = await apiKeys.create({ orgId, description: 'livelink demo key', roles: ['ORG_OWNER'], accessList: [] });
    return { orgId, publicKey: created.apiKey.publicKey, privateKey: created.privateKey };
  };

  const source = await organization(saved?.source.orgId, DEMO_SOURCE_ORG_NAME);
  const project =
    (await organizations.listProjects(source.id)).find((p) => p.name === DEMO_PROJECT_NAME) ??
    (await organizations.createProject(source.id, DEMO_PROJECT_NAME));
  if (!(await organizations.listDeployments(project.id)).some((d) => d.name === DEMO_DEPLOYMENT.name)) {
    await organizations.createDeployment(project.id, DEMO_DEPLOYMENT);
  }
  // The host's private key is shown once, at creation: a host whose key is not in the file gets a new one.
  let migrationHost = saved?.migrationHost;
  if (migrationHost?.projectId !== project.id || !(await hostKeyWorks(migrationHost, source.id))) {
    let added = await migrationHosts.add(project.id, DEMO_MIGRATION_HOST);
    if (added.apiKey === undefined) {
      await migrationHosts.remove(project.id, DEMO_MIGRATION_HOST);
      added = await migrationHosts.add(project.id, DEMO_MIGRATION_HOST);
    }
    if (added.apiKey === undefined) throw new CommandError(`the demo migration host ${DEMO_MIGRATION_HOST} was not given a key`);
    migrationHost = {
      projectId: project.id,
      hostname: DEMO_MIGRATION_HOST,
      publicKey: added.apiKey.apiKey.publicKey,
      privateKey: added.apiKey.privateKey,
    };
  }
  const target = await organization(saved?.target.orgId, DEMO_TARGET_ORG_NAME);
  const atlasProject =
    (await organizations.listProjects(target.id)).find((p) => p.name === DEMO_ATLAS_PROJECT_NAME) ??
    (await organizations.createProject(target.id, DEMO_ATLAS_PROJECT_NAME));

  // A demo user whose password was lost with the file gets a new one: it is the demo's own account.
  const user = async (spec: (typeof DEMO_USERS)[number], orgId: string): Promise<DemoUser> => {
    const kept = savedUser(spec.username, orgId);
    if (kept !== undefined && (await userWorks(kept))) return kept;
    const password = generatedPassword();
    const existing = await users.findByUsername(spec.username);
    if (existing === undefined) await users.create({ orgId, username: spec.username, role: spec.role, password });
    else if (existing.orgId === orgId) await users.setPassword(existing.id, password);
    else
      throw new CommandError(
        `a user named ${spec.username} already exists in organization ${existing.orgId}; the demo cannot use that name`,
      );
    return { username: spec.username, password, role: spec.role, orgId };
  };
  const keys = { source: await key(source.id, saved?.source), target: await key(target.id, saved?.target) };
  const demoUsers: DemoUser[] = [];
  for (const spec of DEMO_USERS) demoUsers.push(await user(spec, keys[spec.side].orgId));
  const credentials: DemoCredentials = {
    ...keys,
    users: demoUsers,
    atlasProject: { orgId: target.id, projectId: atlasProject.id, name: atlasProject.name },
    migrationHost,
  };
  writeDemoCredentials(file, credentials);
  return { credentials, created: true, file };
}

/**
 * Takes the `init` snapshot (what `livelink control reset` with no name goes back to) when the demo was
 * just set up, or when data set up before snapshots existed has none yet. An `init` taken earlier is
 * kept otherwise: a later run must not make the rehearsal's changes since then part of "the state of init".
 */
export async function keepInitSnapshot(livelink: Livelink, created: boolean): Promise<void> {
  const { snapshots } = livelink.services;
  if (created || (await snapshots.get(INIT_SNAPSHOT)) === undefined) await snapshots.create(INIT_SNAPSHOT);
}

export const initCommand: Command = {
  path: ['init'],
  summary: 'Set up the demo organizations, project and API keys (once)',
  usage: usage({
    synopsis: 'init [--data DIR] [--json]',
    description:
      `Creates, once, a source organization "${DEMO_SOURCE_ORG_NAME}" with a project "${DEMO_PROJECT_NAME}"\n` +
      `(deployment ${DEMO_DEPLOYMENT.name}, migration host ${DEMO_MIGRATION_HOST}), a target organization\n` +
      `"${DEMO_TARGET_ORG_NAME}" with an Atlas project "${DEMO_ATLAS_PROJECT_NAME}", an ORG_OWNER API key for each\n` +
      "organization, the migration host's own API key, and web page users\n" +
      `${DEMO_USERS.map((u) => u.username).join(', ')} with generated passwords. The keys and passwords are kept in\n` +
      `<data>/${DEMO_CREDENTIALS_FILE} (mode 0600) and shown again by later runs, which create nothing.\n` +
      `Takes the snapshot "${INIT_SNAPSHOT}" of what it created: \`livelink control reset\` goes back to it.\n` +
      'For local use only: the file holds private keys in the clear.',
    json: true,
  }),
  options: { ...DATA_OPTION, ...JSON_OPTION },
  async run({ values }, io) {
    const setup = await withLivelink(values, io, async (livelink) => {
      const demo = await ensureDemo(livelink);
      await keepInitSnapshot(livelink, demo.created);
      return demo;
    });
    emit(io, values, credentialsJson(setup.credentials), () => describeDemo(setup));
    return 0;
  },
};

/** Exactly the documented JSON shape, whatever else a DemoCredentials object might carry. */
export function credentialsJson(credentials: DemoCredentials): DemoCredentials {
  const pick = (key: DemoKey): DemoKey => ({ orgId: key.orgId, publicKey: key.publicKey, privateKey: key.privateKey });
  const pickUser = (user: DemoUser): DemoUser => ({ username: user.username, password: user.password, role: user.role, orgId: user.orgId });
  const { atlasProject: project, migrationHost: host } = credentials;
  return {
    source: pick(credentials.source),
    target: pick(credentials.target),
    users: credentials.users.map(pickUser),
    atlasProject: { orgId: project.orgId, projectId: project.projectId, name: project.name },
    migrationHost: { projectId: host.projectId, hostname: host.hostname, publicKey: host.publicKey, privateKey: host.privateKey },
  };
}

/** The demo users as lines: name, password, role and organization, aligned. */
export function demoUserLines(credentials: DemoCredentials, indent = '  '): string[] {
  const width = Math.max(...credentials.users.map((u) => u.username.length));
  const orgName = (orgId: string): string => (orgId === credentials.target.orgId ? DEMO_TARGET_ORG_NAME : DEMO_SOURCE_ORG_NAME);
  return credentials.users.map(
    (u) => `${indent}${u.username.padEnd(width)}  password ${u.password}  ${roleLabel(u.role)}, ${orgName(u.orgId)}`,
  );
}

function describeDemo(setup: DemoSetup): string {
  const { source, target, atlasProject, migrationHost } = setup.credentials;
  const block = (title: string, key: DemoKey, more: readonly (readonly [string, string])[] = []): string =>
    [title, fields([['org id', key.orgId], ...more, ['public key', key.publicKey], ['private key', key.privateKey]])].join('\n');
  return [
    setup.created ? `Demo set up; credentials saved in ${setup.file}` : `Demo already set up; credentials from ${setup.file}`,
    '',
    block(`Source (Ops Manager): ${DEMO_SOURCE_ORG_NAME}`, source),
    '',
    block(`Target (Atlas): ${DEMO_TARGET_ORG_NAME}`, target, [['project id', `${atlasProject.projectId} (${atlasProject.name})`]]),
    '',
    `Migration host ${migrationHost.hostname} of ${DEMO_PROJECT_NAME} (its own key):`,
    fields([
      ['project id', migrationHost.projectId],
      ['public key', migrationHost.publicKey],
      ['private key', migrationHost.privateKey],
    ]),
    '',
    'Web page users (sign in at /login of the served URL):',
    ...demoUserLines(setup.credentials),
    '',
    'Serve them with `livelink serve` (or `npm start`, which also prints the curl commands to try).',
  ].join('\n');
}

function readDemoCredentials(file: string): SavedDemoCredentials | undefined {
  if (!existsSync(file)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    parsed = undefined;
  }
  const savedUsers = isRecord(parsed) ? (parsed['users'] ?? []) : [];
  if (
    !isRecord(parsed) ||
    !isDemoKey(parsed['source']) ||
    !isDemoKey(parsed['target']) ||
    !Array.isArray(savedUsers) ||
    !savedUsers.every(isDemoUser) ||
    !(parsed['atlasProject'] === undefined || isDemoAtlasProject(parsed['atlasProject'])) ||
    !(parsed['migrationHost'] === undefined || isDemoMigrationHost(parsed['migrationHost']))
  ) {
    throw new CommandError(`${file} is not a livelink demo credentials file; remove it to set the demo up again`);
  }
  // A file from before the web pages has no users; they are created and the file rewritten.
  return {
    source: parsed['source'],
    target: parsed['target'],
    users: savedUsers,
    ...(parsed['atlasProject'] === undefined ? {} : { atlasProject: parsed['atlasProject'] }),
    ...(parsed['migrationHost'] === undefined ? {} : { migrationHost: parsed['migrationHost'] }),
  };
}

/** Written to a fresh file and renamed over the old one, so the file is never half written and always 0600. */
function writeDemoCredentials(file: string, credentials: DemoCredentials): void {
  // On PostgreSQL nothing else creates the data folder, which still holds this file.
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  rmSync(temporary, { force: true });
  writeFileSync(temporary, `${JSON.stringify(credentialsJson(credentials), null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  renameSync(temporary, file);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isDemoUser(value: unknown): value is DemoUser {
  return (
    isRecord(value) &&
    typeof value['username'] === 'string' &&
    typeof value['password'] === 'string' &&
    typeof value['role'] === 'string' &&
    isUserRole(value['role']) &&
    typeof value['orgId'] === 'string'
  );
}

function isDemoAtlasProject(value: unknown): value is DemoAtlasProject {
  return (
    isRecord(value) && typeof value['orgId'] === 'string' && typeof value['projectId'] === 'string' && typeof value['name'] === 'string'
  );
}

function isDemoMigrationHost(value: unknown): value is DemoMigrationHost {
  return (
    isRecord(value) &&
    typeof value['projectId'] === 'string' &&
    typeof value['hostname'] === 'string' &&
    typeof value['publicKey'] === 'string' &&
    typeof value['privateKey'] === 'string'
  );
}

function isDemoKey(value: unknown): value is DemoKey {
  return (
    isRecord(value) &&
    typeof value['orgId'] === 'string' &&
    typeof value['publicKey'] === 'string' &&
    typeof value['privateKey'] === 'string'
  );
}
