/**
 * Schemathesis (from PyPI, in conformance/.work/venv) fuzzing every operation of the OpenAPI document
 * against the started livelink, with its default checks, authenticated through the hook module
 * conformance/schemathesis/livelink_auth.py: HTTP Digest with an API key, or the control token as a bearer
 * token for the rehearsal control API. Each pass selects operations by path and uses the credential that
 * may call them; path parameters are fixed through schemathesis.toml.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Check } from './checks.js';
import { runCommand } from './processes.js';

/** What a pass authenticates with: an API key (HTTP Digest), or the server's control token (Bearer). */
export type FuzzCredential = { kind: 'digest'; publicKey: string; privateKey: string } | { kind: 'bearer'; token: string };

export interface FuzzPass {
  /** e.g. "source", "target", "inventory". */
  name: string;
  /** The credential the pass authenticates with, and who it is. */
  credential: FuzzCredential;
  keyLabel: string;
  baseUrl: string;
  /** A file path or a URL of the OpenAPI document. */
  schema: string;
  includePathRegex: string;
  /** The path parameters schemathesis.toml fixes, every one set for every pass. */
  parameters: FuzzParameters;
}

/** Real resources the key of a pass may reach, so generated requests get past the not-found answers. */
export interface FuzzParameters {
  orgId: string;
  groupId: string;
  sourceOrgId: string;
  /** The source project whose migration hosts the relay's job route names. */
  sourceGroupId: string;
  /** A cluster of `groupId` (the target pass's destination cluster). */
  clusterName: string;
  /** A migration host of the source project `sourceGroupId`. */
  hostname: string;
  /**
   * A spare key of `orgId` for the API-key routes: left free, the stateful phase takes the id of the key
   * it authenticates with from the key list and deletes it, and every later call of the pass is refused.
   */
  apiKeyId: string;
}

export interface FuzzSettings {
  conformanceDir: string;
  workDir: string;
  examples: number;
  seed: string;
}

interface FuzzOutcome {
  rows: Check[];
  tested: string[];
}

const INFORMATIVE =
  /^(Invalid component:|Unsupported method|Undocumented|Received|Response|API rejected|Schema|Value|The |Missing|Required|Expected status|Actual)/;

export async function runFuzzPass(setup: string, pass: FuzzPass, settings: FuzzSettings): Promise<FuzzOutcome> {
  const version = await schemathesisVersion(settings.workDir);
  const client = `schemathesis ${version} (${pass.keyLabel})`;
  const reportDir = join(settings.workDir, 'reports', `${setup}-${pass.name}`);
  rmSync(reportDir, { recursive: true, force: true });
  mkdirSync(reportDir, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SCHEMATHESIS_HOOKS: 'livelink_auth',
    PYTHONPATH: join(settings.conformanceDir, 'schemathesis'),
    ...(pass.credential.kind === 'digest'
      ? {
          LIVELINK_FUZZ_PUBLIC_KEY: pass.credential.publicKey,
          LIVELINK_FUZZ_PRIVATE_KEY: pass.credential.privateKey,
          LIVELINK_FUZZ_CONTROL_TOKEN: '',
        }
      : { LIVELINK_FUZZ_CONTROL_TOKEN: pass.credential.token }),
    LIVELINK_FUZZ_ORG_ID: pass.parameters.orgId,
    LIVELINK_FUZZ_GROUP_ID: pass.parameters.groupId,
    LIVELINK_FUZZ_SOURCE_ORG_ID: pass.parameters.sourceOrgId,
    LIVELINK_FUZZ_SOURCE_GROUP_ID: pass.parameters.sourceGroupId,
    LIVELINK_FUZZ_CLUSTER_NAME: pass.parameters.clusterName,
    LIVELINK_FUZZ_HOSTNAME: pass.parameters.hostname,
    LIVELINK_FUZZ_API_KEY_ID: pass.parameters.apiKeyId,
    NO_COLOR: '1',
    COLUMNS: '120',
  };
  const args = [
    '--config-file',
    join(settings.conformanceDir, 'schemathesis', 'schemathesis.toml'),
    'run',
    pass.schema,
    '--url',
    pass.baseUrl,
    '--include-path-regex',
    pass.includePathRegex,
    '--max-examples',
    String(settings.examples),
    '--seed',
    settings.seed,
    '--request-timeout',
    '20',
    '--report',
    'junit,json',
    '--report-dir',
    reportDir,
  ];
  const result = await runCommand(join(settings.workDir, 'venv', 'bin', 'schemathesis'), args, {
    env,
    cwd: settings.workDir,
    timeoutMs: 240_000,
  });
  writeFileSync(join(reportDir, 'output.txt'), `$ schemathesis ${args.join(' ')}\n\n${result.stdout}\n${result.stderr}`);
  const outputNote = `full output: ${join(reportDir, 'output.txt')}`;

  const junit = readReport(reportDir, 'junit-', '.xml');
  if (junit === undefined) {
    const tail = (result.stdout + result.stderr).trim().split('\n').slice(-6).join(' | ');
    return {
      rows: [
        {
          setup,
          client,
          operation: `pass ${pass.name}: run`,
          expected: 'a report',
          got: `${result.timedOut ? 'timed out' : `exit ${result.exitCode}`}: ${tail} (${outputNote})`,
          result: 'fail',
        },
      ],
      tested: [],
    };
  }
  const rows: Check[] = [];
  const tested: string[] = [];
  for (const testcase of parseJunit(junit)) {
    if (testcase.name !== 'Stateful tests') tested.push(testcase.name);
    const operation = testcase.name === 'Stateful tests' ? `pass ${pass.name}: stateful (API links)` : testcase.name;
    const got = testcase.failures.length === 0 ? 'no check failed' : testcase.failures.join('; ');
    rows.push({ setup, client, operation, expected: 'no check failed', got, result: testcase.failures.length === 0 ? 'pass' : 'fail' });
  }
  if (tested.length === 0) {
    rows.push({
      setup,
      client,
      operation: `pass ${pass.name}: operations`,
      expected: 'at least one operation selected',
      got: `none matched ${pass.includePathRegex}`,
      result: 'skip',
    });
  }
  // A pass whose key never got in, or was throttled, tested nothing: that must show.
  const report = readReport(reportDir, 'json-', '.json');
  for (const operation of warned(report, 'missing_auth')) {
    rows.push({
      setup,
      client,
      operation,
      expected: 'responses other than 401/403 (the key of the pass gets in)',
      got: 'only 401/403 responses',
      result: 'fail',
    });
  }
  for (const operation of warned(report, 'rate_limited')) {
    rows.push({
      setup,
      client,
      operation,
      expected: 'no 429 (nothing throttles the key of the pass)',
      got: 'answered 429 (rate limited): the pass did not reach the operation',
      result: 'fail',
    });
  }
  return { rows, tested };
}

async function schemathesisVersion(workDir: string): Promise<string> {
  const result = await runCommand(join(workDir, 'venv', 'bin', 'python'), [
    '-c',
    'from importlib.metadata import version; print(version("schemathesis"))',
  ]);
  return result.stdout.trim() || '?';
}

function readReport(dir: string, prefix: string, suffix: string): string | undefined {
  const name = readdirSync(dir).find((file) => file.startsWith(prefix) && file.endsWith(suffix));
  return name === undefined ? undefined : readFileSync(join(dir, name), 'utf8');
}

function warned(report: string | undefined, kind: string): string[] {
  if (report === undefined) return [];
  try {
    const parsed = JSON.parse(report) as { warnings?: Record<string, unknown> };
    const list = parsed.warnings?.[kind];
    return Array.isArray(list) ? list.filter((item): item is string => typeof item === 'string') : [];
  } catch {
    return [];
  }
}

function decodeXml(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&#x([0-9a-f]+);/gi, (_, code: string) => String.fromCodePoint(parseInt(code, 16)))
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

interface JunitCase {
  name: string;
  failures: string[];
}

/** Each <testcase> of Schemathesis' JUnit report, with one summary per failing test case inside it. */
export function parseJunit(xml: string): JunitCase[] {
  const cases: JunitCase[] = [];
  const pattern = /<testcase name="([^"]*)"[^>]*?(?:\/>|>([\s\S]*?)<\/testcase>)/g;
  for (let match = pattern.exec(xml); match !== null; match = pattern.exec(xml)) {
    const name = decodeXml(match[1] ?? '');
    const body = match[2] ?? '';
    const failures: string[] = [];
    const blocks = /<(failure|error)[^>]*>([\s\S]*?)<\/\1>/g;
    for (let block = blocks.exec(body); block !== null; block = blocks.exec(body)) {
      const text = decodeXml(block[2] ?? '');
      if (block[1] === 'error') {
        failures.push(`error: ${text.trim().split('\n').slice(0, 3).join(' ').slice(0, 300)}`);
        continue;
      }
      failures.push(...summarizeFailure(text));
    }
    cases.push({ name, failures });
  }
  return cases;
}

/** "ST201 Schema-violating request accepted (Invalid component: ...) → 200 [case X]" for each check that failed. */
function summarizeFailure(text: string): string[] {
  const summaries: string[] = [];
  const chunks = text.split(/^\d+\. Test Case ID: /m).filter((chunk) => chunk.trim() !== '');
  for (const chunk of chunks) {
    const caseId = chunk.split('\n')[0]?.trim() ?? '';
    const lines = chunk.split('\n').map((line) => line.trim());
    const statusLine = lines.find((line) => /^\[\d{3}\]/.test(line)) ?? '';
    const status = /^\[(\d{3})\]/.exec(statusLine)?.[1] ?? '?';
    const detail = /"detail"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(chunk)?.[1];
    lines.forEach((line, i) => {
      const title = /^- (ST\d+ .*)$/.exec(line)?.[1];
      if (title === undefined) return;
      const info: string[] = [];
      for (const next of lines.slice(i + 1)) {
        if (next.startsWith('- ST') || next.startsWith('[')) break;
        if (INFORMATIVE.test(next) && !next.startsWith('Expected:')) info.push(next);
      }
      const response = `→ ${status}${detail !== undefined && status.startsWith('4') ? ` "${detail.slice(0, 120)}"` : ''}`;
      summaries.push(`${title}${info.length > 0 ? ` (${info.join(' ')})` : ''} ${response} [case ${caseId}]`);
    });
  }
  return summaries.length > 0 ? summaries : [text.trim().split('\n').slice(0, 3).join(' ').slice(0, 300)];
}
