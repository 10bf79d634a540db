import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Livelink } from '../../app/livelink.js';
import type { NewDeployment, Organization } from '../../features/organizations/organization.js';
import { CommandError, DATA_OPTION, JSON_OPTION, usage, type Command } from '../command.js';
import { withLivelink } from '../management.js';
import { emit, fields } from '../output.js';

export const DEMO_SOURCE_ORG_NAME = 'Demo Ops Manager Organization';
export const DEMO_TARGET_ORG_NAME = 'Demo Atlas Organization';
export const DEMO_PROJECT_NAME = 'Demo Project';
export const DEMO_MIGRATION_HOST = 'migration-host-1.example.internal';
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

export interface DemoCredentials {
  source: DemoKey;
  target: DemoKey;
}

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
  const { organizations, apiKeys } = livelink.services;

  const keyExists = async (key: DemoKey): Promise<boolean> =>
    (await organizations.getOrganization(key.orgId)) !== undefined && (await apiKeys.list(key.orgId)).some((k) => k.publicKey === key.publicKey);
  if (saved !== undefined && (await keyExists(saved.source)) && (await keyExists(saved.target))) {
    return { credentials: saved, created: false, file };
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
  await organizations.addMigrationHost(project.id, DEMO_MIGRATION_HOST);
  const target = await organization(saved?.target.orgId, DEMO_TARGET_ORG_NAME);

  const credentials: DemoCredentials = { source: await key(source.id, saved?.source), target: await key(target.id, saved?.target) };
  writeDemoCredentials(file, credentials);
  return { credentials, created: true, file };
}

export const initCommand: Command = {
  path: ['init'],
  summary: 'Set up the demo organizations, project and API keys (once)',
  usage: usage({
    synopsis: 'init [--data DIR] [--json]',
    description:
      `Creates, once, a source organization "${DEMO_SOURCE_ORG_NAME}" with a project "${DEMO_PROJECT_NAME}"\n` +
      `(deployment ${DEMO_DEPLOYMENT.name}, migration host ${DEMO_MIGRATION_HOST}), a target organization\n` +
      `"${DEMO_TARGET_ORG_NAME}", and an ORG_OWNER API key for each. The keys are kept in\n` +
      `<data>/${DEMO_CREDENTIALS_FILE} (mode 0600) and shown again by later runs, which create nothing.\n` +
      'For local use only: the file holds private keys in the clear.',
    json: true,
  }),
  options: { ...DATA_OPTION, ...JSON_OPTION },
  async run({ values }, io) {
    const setup = await withLivelink(values, io, ensureDemo);
    emit(io, values, credentialsJson(setup.credentials), () => describeDemo(setup));
    return 0;
  },
};

/** Exactly the documented JSON shape, whatever else a DemoCredentials object might carry. */
export function credentialsJson(credentials: DemoCredentials): DemoCredentials {
  const pick = (key: DemoKey): DemoKey => ({ orgId: key.orgId, publicKey: key.publicKey, privateKey: key.privateKey });
  return { source: pick(credentials.source), target: pick(credentials.target) };
}

function describeDemo(setup: DemoSetup): string {
  const { source, target } = setup.credentials;
  const block = (title: string, key: DemoKey): string =>
    [
      title,
      fields([
        ['org id', key.orgId],
        ['public key', key.publicKey],
        ['private key', key.privateKey],
      ]),
    ].join('\n');
  return [
    setup.created ? `Demo set up; credentials saved in ${setup.file}` : `Demo already set up; credentials from ${setup.file}`,
    '',
    block(`Source (Ops Manager): ${DEMO_SOURCE_ORG_NAME}`, source),
    '',
    block(`Target (Atlas): ${DEMO_TARGET_ORG_NAME}`, target),
    '',
    'Serve them with `livelink serve` (or `npm start`, which also prints the curl commands to try).',
  ].join('\n');
}

function readDemoCredentials(file: string): DemoCredentials | undefined {
  if (!existsSync(file)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    parsed = undefined;
  }
  if (!isRecord(parsed) || !isDemoKey(parsed['source']) || !isDemoKey(parsed['target'])) {
    throw new CommandError(`${file} is not a livelink demo credentials file; remove it to set the demo up again`);
  }
  return { source: parsed['source'], target: parsed['target'] };
}

/** Written to a fresh file and renamed over the old one, so the file is never half written and always 0600. */
function writeDemoCredentials(file: string, credentials: DemoCredentials): void {
  const temporary = `${file}.${process.pid}.tmp`;
  rmSync(temporary, { force: true });
  writeFileSync(temporary, `${JSON.stringify(credentialsJson(credentials), null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  renameSync(temporary, file);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isDemoKey(value: unknown): value is DemoKey {
  return isRecord(value) && typeof value['orgId'] === 'string' && typeof value['publicKey'] === 'string' && typeof value['privateKey'] === 'string';
}
