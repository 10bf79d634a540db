/**
 * Starts livelink in-process on a free port with a fresh data folder, through the same composition
 * root as the server and the CLI, and seeds organizations and keys through its services.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createLivelink, LOG_REDACTIONS, type Livelink, type LivelinkOptions } from '../../src/app/livelink.js';
import type { Role } from '../../src/features/api-keys/api-key.js';
import { loadConfig } from '../../src/config/config.js';
import { DigestTestClient, type DigestClientOptions } from './digest-client.js';

export interface RunningLivelink {
  url: string;
  livelink: Livelink;
  dataDir: string;
  /** Creates an organization with a key holding `roles`, and a client for that key. */
  organizationWithKey(
    name: string,
    roles?: Role[],
    options?: { accessList?: string[]; clientOptions?: DigestClientOptions },
  ): Promise<OrgWithKey>;
  client(publicKey: string, privateKey: string, options?: DigestClientOptions): DigestTestClient;
  close(): Promise<void>;
}

export interface OrgWithKey {
  orgId: string;
  publicKey: string;
  privateKey: string;
  client: DigestTestClient;
}

export interface FixtureOptions {
  /** Collects every log line (at trace level) instead of discarding them. */
  logLines?: string[];
  /** Passed to the composition root (the clock, a shorter cutover wait). */
  livelink?: Omit<LivelinkOptions, 'logger'>;
}

export async function startLivelink(
  flags: Record<string, string> = {},
  env: Record<string, string> = {},
  options: FixtureOptions = {},
): Promise<RunningLivelink> {
  const dataDir = mkdtempSync(join(tmpdir(), 'livelink-test-'));
  const config = loadConfig({ flags: { port: '0', data: dataDir, ...flags }, env });
  const sink = options.logLines;
  const logger =
    sink === undefined
      ? pino({ level: process.env['LIVELINK_TEST_LOG'] ?? 'silent' })
      : pino({ level: 'trace', redact: LOG_REDACTIONS }, { write: (line: string) => void sink.push(line) });
  const livelink = await createLivelink(config, { ...options.livelink, logger });
  const url = await livelink.listen();
  const client = (publicKey: string, privateKey: string, options?: DigestClientOptions) =>
    new DigestTestClient(url, publicKey, privateKey, options);
  return {
    url,
    livelink,
    dataDir,
    client,
    async organizationWithKey(name, roles = ['ORG_OWNER'], options = {}) {
      const org = await livelink.services.organizations.createOrganization(name);
      const { apiKey, privateKey } = await livelink.services.apiKeys.create({
        orgId: org.id,
        description: `${name} key`,
        roles,
        accessList: options.accessList ?? [],
      });
      return {
        orgId: org.id,
        publicKey: apiKey.publicKey,
        privateKey,
        client: client(apiKey.publicKey, privateKey, options.clientOptions),
      };
    },
    async close() {
      await livelink.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A livelink built by the composition root on a fresh data folder, not listening: for tests of the
 * services and stores as the server wires them. `flags` may name a database (`database-url`); the
 * keys are fresh ones, as PostgreSQL requires. close() closes it and removes the folder.
 */
export async function composeLivelink(
  flags: Record<string, string> = {},
  options: LivelinkOptions = {},
): Promise<{ livelink: Livelink; close(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'livelink-test-'));
  const env = { LIVELINK_ENCRYPTION_KEY: randomBytes(32).toString('base64'), LIVELINK_NONCE_KEY: randomBytes(32).toString('base64') };
  const livelink = await createLivelink(loadConfig({ flags: { data: dataDir, ...flags }, env }), {
    logger: pino({ level: 'silent' }),
    ...options,
  });
  return {
    livelink,
    async close() {
      await livelink.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
