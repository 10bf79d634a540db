/**
 * The tools a user would otherwise reach for to serve this route: Stoplight Prism and Mockoon, from
 * npm, installed by the bench into bench/.work/ (never project dependencies), serving the status route
 * from livelink's own OpenAPI document with the example body livelink answers, without authentication.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { ROOT } from './livelink.js';
import { STATUS_PATH_TEMPLATE } from './protocol.js';

/** Prism 5.16 declares Node ≥ 24; 5.14.2 is the newest that supports Node 20, which livelink targets. */
export const PRISM_PACKAGE = '@stoplight/prism-cli';
export const PRISM_VERSION = '5.14.2';
export const MOCKOON_PACKAGE = '@mockoon/cli';
export const MOCKOON_VERSION = '9.9.0';

export interface Peers {
  prism: { version: string; cli: string; document: string };
  mockoon: { version: string; cli: string; environment: string };
}

function installedVersion(prefix: string, name: string): string | undefined {
  const file = join(prefix, 'node_modules', name, 'package.json');
  if (!existsSync(file)) return undefined;
  return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version;
}

/** The JS file of a package's command, run with this Node (no shell wrapper between the PID and the server). */
function binOf(prefix: string, name: string, command: string): string {
  const dir = join(prefix, 'node_modules', name);
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { bin?: string | Record<string, string> };
  const bin = typeof manifest.bin === 'string' ? manifest.bin : manifest.bin?.[command];
  if (bin === undefined) throw new Error(`${name} has no ${command} command`);
  return join(dir, bin);
}

/** Installs the pinned peers into `prefix` on first use; later runs find them there. */
export function installPeers(prefix: string, log: (line: string) => void): void {
  if (installedVersion(prefix, PRISM_PACKAGE) === PRISM_VERSION && installedVersion(prefix, MOCKOON_PACKAGE) === MOCKOON_VERSION) return;
  log(`installing ${PRISM_PACKAGE}@${PRISM_VERSION} and ${MOCKOON_PACKAGE}@${MOCKOON_VERSION} into ${prefix} (first run only)`);
  // Its own package.json, so npm does not walk up and install into livelink's node_modules.
  const manifest = join(prefix, 'package.json');
  if (!existsSync(manifest)) writeFileSync(manifest, `${JSON.stringify({ name: 'livelink-bench-peers', private: true }, null, 2)}\n`);
  const result = spawnSync(
    'npm',
    [
      'install',
      '--prefix',
      prefix,
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      '--loglevel=error',
      `${PRISM_PACKAGE}@${PRISM_VERSION}`,
      `${MOCKOON_PACKAGE}@${MOCKOON_VERSION}`,
    ],
    // --ignore-scripts and SCARF_ANALYTICS: no install-time telemetry call from a bench machine.
    { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, SCARF_ANALYTICS: 'false' }, timeout: 300_000 },
  );
  if (result.status !== 0) throw new Error(`npm install of the peers failed (${result.status ?? result.signal})`);
}

/**
 * livelink's OpenAPI document cut down to the status route, without its digest security requirement
 * (the peers do not speak Digest), and with the body livelink answers as the example, which both tools
 * serve as is.
 */
export function writePeerDocument(file: string): void {
  interface Operation {
    security?: unknown;
    responses: Record<string, { content?: Record<string, { schema: { oneOf?: unknown[] } }> }>;
  }
  interface Document {
    openapi: string;
    info: unknown;
    paths: Record<string, { get?: Operation }>;
  }
  const document = JSON.parse(readFileSync(join(ROOT, 'openapi.json'), 'utf8')) as Document;
  const openApiPath = STATUS_PATH_TEMPLATE;
  const operation = document.paths[openApiPath]?.get;
  if (operation === undefined) throw new Error(`openapi.json has no GET ${openApiPath}`);
  // The plain (not enveloped) success schema is the first of the oneOf livelink generates.
  const schema = operation.responses['200']?.content?.['application/json']?.schema.oneOf?.[0];
  if (schema === undefined) throw new Error('openapi.json: the status route has no 200 application/json schema');
  const example = { status: 'SYNCED' };
  const { security: _security, ...rest } = operation;
  const peerOperation = {
    ...rest,
    // Prism reads the media type's example; Mockoon's importer reads the schema's.
    responses: {
      '200': { description: 'Success', content: { 'application/json': { schema: { ...(schema as object), example }, example } } },
    },
  };
  writeFileSync(
    file,
    `${JSON.stringify({ openapi: document.openapi, info: document.info, paths: { [openApiPath]: { get: peerOperation } } }, null, 2)}\n`,
  );
}

/** Prepares both peers (install, document, Mockoon environment imported from that document). */
export function preparePeers(prefix: string, log: (line: string) => void): Peers {
  installPeers(prefix, log);
  const document = join(prefix, 'peer-openapi.json');
  writePeerDocument(document);
  const mockoonCli = binOf(prefix, MOCKOON_PACKAGE, 'mockoon-cli');
  const environment = join(prefix, 'mockoon-environment.json');
  const imported = spawnSync(process.execPath, [mockoonCli, 'import', '--input', document, '--output', environment], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (imported.status !== 0) throw new Error(`mockoon-cli import failed: ${imported.stderr}`);
  const body = readFileSync(environment, 'utf8');
  if (!body.includes('SYNCED')) throw new Error('mockoon-cli import did not take the example body');
  return {
    prism: { version: installedVersion(prefix, PRISM_PACKAGE) ?? '?', cli: binOf(prefix, PRISM_PACKAGE, 'prism'), document },
    mockoon: { version: installedVersion(prefix, MOCKOON_PACKAGE) ?? '?', cli: mockoonCli, environment },
  };
}

/** Command lines; `-v warn` for Prism matches livelink's --log-level warn. Mockoon has no level: its log goes to /dev/null. */
export function prismArgs(peers: Peers, port: number): string[] {
  return [peers.prism.cli, 'mock', '-h', '127.0.0.1', '-p', String(port), '-v', 'warn', peers.prism.document];
}

export function mockoonArgs(peers: Peers, port: number): string[] {
  return [
    peers.mockoon.cli,
    'start',
    '--data',
    peers.mockoon.environment,
    '--port',
    String(port),
    '--hostname',
    '127.0.0.1',
    '--disable-log-to-file',
    '--disable-admin-api',
  ];
}
