import type { HttpMethod } from '../http/route.js';
import { CommandError, UsageError, type CliIo, type OptionValues, type OptionsConfig } from './command.js';
import { optionalString } from './flags.js';

/** The flags every `livelink control` verb takes: where the server is and its control token. */
export const CONTROL_CLIENT_OPTIONS = { url: { type: 'string' }, token: { type: 'string' } } as const satisfies OptionsConfig;

export const CONTROL_CLIENT_HELP: readonly (readonly [string, string])[] = [
  ['--url URL', 'base URL of the running livelink (LIVELINK_URL; default http://127.0.0.1:8080, or LIVELINK_PORT)'],
  ['--token TOKEN', "the server's control token (LIVELINK_CONTROL_TOKEN; none for a server without one, from this machine)"],
];

/** How long a control call may take: a control answers at once, so anything longer is a server in trouble. */
const CONTROL_CALL_TIMEOUT_MS = 30_000;

/**
 * Calls the control API of a running livelink over HTTP, as curl would: the CLI twin of every control
 * route goes through here, so it sees exactly what an automation sees. A refusal in the error format
 * becomes a CommandError with its detail (exit 1), as does a server that cannot be reached: the error
 * was built and serialized by the server's catalogue, the CLI only reports it.
 */
export async function callControl(values: OptionValues, io: CliIo, method: HttpMethod, path: string, body?: unknown): Promise<unknown> {
  const base = controlBaseUrl(values, io);
  const token = optionalString(values, 'token') ?? nonEmpty(io.env['LIVELINK_CONTROL_TOKEN']);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(CONTROL_CALL_TIMEOUT_MS),
    });
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
    throw new CommandError(`cannot reach livelink at ${base}: ${cause}`);
  }
  const text = await response.text();
  const answer = parseJson(text);
  if (response.ok) return answer;
  throw refusal(response.status, answer, text);
}

function controlBaseUrl(values: OptionValues, io: CliIo): string {
  const given = optionalString(values, 'url') ?? nonEmpty(io.env['LIVELINK_URL']);
  const port = nonEmpty(io.env['LIVELINK_PORT']) ?? '8080';
  const text = given ?? `http://127.0.0.1:${port}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--url is not a URL: ${JSON.stringify(text)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError('--url must be an http:// or https:// URL');
  if (url.pathname !== '/' || url.search !== '' || url.username !== '')
    throw new UsageError(`--url is a base URL like http://127.0.0.1:8080 (got ${JSON.stringify(text)})`);
  return url.origin;
}

/** A refusal as the CLI reports it: the server's error detail, or the status and the start of the body when it is not one. */
function refusal(status: number, answer: unknown, text: string): Error {
  if (typeof answer === 'object' && answer !== null) {
    const { errorCode, detail } = answer as Record<string, unknown>;
    if (typeof errorCode === 'string' && typeof detail === 'string') return new CommandError(detail);
  }
  return new CommandError(`livelink answered HTTP ${status}: ${text.slice(0, 200)}`);
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
