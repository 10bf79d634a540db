/**
 * Runs the CLI in-process with string-collecting streams and a fresh data folder per test.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import assert from 'node:assert/strict';
import { afterEach, beforeEach } from 'node:test';
import { pino } from 'pino';
import { createLivelink } from '../../src/app/livelink.js';
import { runCli } from '../../src/cli/cli.js';
import { loadConfig } from '../../src/config/config.js';
import { DIGEST_REALM } from '../../src/http/digest/challenge.js';

/** A writable stream that keeps what was written, and can wait until some text arrives. */
export class TextSink extends Writable {
  text = '';

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    this.emit('text');
    callback();
  }

  waitFor(pattern: RegExp, timeoutMs = 15_000): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const match = pattern.exec(this.text);
        if (match === null) return false;
        clearTimeout(timer);
        this.off('text', check);
        resolve(match);
        return true;
      };
      const timer = setTimeout(() => {
        this.off('text', check);
        reject(new Error(`timed out waiting for ${pattern}; got ${JSON.stringify(this.text)}`));
      }, timeoutMs);
      if (!check()) this.on('text', check);
    });
  }
}

export interface CliIoForTest {
  stdout: TextSink;
  stderr: TextSink;
  env: Record<string, string | undefined>;
}

/** The environment is empty unless given, so the developer's LIVELINK_* variables never leak in. */
export function testIo(env: Record<string, string | undefined> = {}): CliIoForTest {
  return { stdout: new TextSink(), stderr: new TextSink(), env };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function cli(argv: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  const io = testIo(env);
  const code = await runCli(argv, io);
  return { code, stdout: io.stdout.text, stderr: io.stderr.text };
}

/** Runs a command with --json, expects exit 0 and nothing on stderr, and parses stdout. */
export async function cliJson<T>(argv: string[]): Promise<T> {
  const result = await cli([...argv, '--json']);
  assert.equal(result.stderr, '', `stderr of ${argv.join(' ')}`);
  assert.equal(result.code, 0, `exit code of ${argv.join(' ')}`);
  return JSON.parse(result.stdout) as T;
}

/** A fresh data folder; remove it with the returned function. */
export function tempDataDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'livelink-cli-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Gives every test of the enclosing suite a data folder of its own, removed after the test. `use`
 * receives it before each test (and may set up what the tests share in it).
 */
export function inFreshDataDirEachTest(use: (dir: string) => void | Promise<void>): void {
  let remove = (): void => undefined;
  beforeEach(async () => {
    const temp = tempDataDir();
    remove = temp.remove;
    await use(temp.dir);
  });
  afterEach(() => remove());
}

/**
 * Does `privateKey` belong to `publicKey` in this data folder? Compares the stored digest secret with
 * an MD5 HA1 computed here, so a printed private key that is not the real one is caught.
 */
export async function keyAuthenticates(dataDir: string, publicKey: string, privateKey: string): Promise<boolean> {
  const livelink = await createLivelink(loadConfig({ flags: { data: dataDir }, env: {} }), { logger: pino({ level: 'silent' }) });
  try {
    const record = await livelink.services.apiKeys.findForAuthentication(publicKey);
    const ha1 = createHash('md5').update(`${publicKey}:${DIGEST_REALM}:${privateKey}`, 'utf8').digest('hex');
    return record !== undefined && record.secrets.MD5 === ha1;
  } finally {
    await livelink.close();
  }
}

export const OBJECT_ID = /^[0-9a-f]{24}$/;
export const PUBLIC_KEY = /^[a-z]{8}$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
export const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
