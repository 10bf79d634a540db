/**
 * A test client that speaks digest the way the real clients do, computed with the independent
 * calculator in test/digest/client-side.ts (nothing from src). Two modes, as on the wire:
 * `challenge-every-call` (curl, the Go client, mongocli) and `reuse-nonce` (Python requests).
 */
import { randomBytes } from 'node:crypto';
import { clientResponse } from '../digest/client-side.js';

export interface TestResponse {
  status: number;
  headers: Headers;
  text: string;
  json(): unknown;
}

export interface DigestClientOptions {
  mode?: 'challenge-every-call' | 'reuse-nonce';
}

export class DigestTestClient {
  #nonce: string | undefined;
  #nc = 0;
  /** Every request sent, for tests that count round trips or replay a captured header. */
  readonly sent: { method: string; path: string; authorization: string | undefined }[] = [];

  constructor(
    readonly baseUrl: string,
    readonly publicKey: string,
    readonly privateKey: string,
    private readonly options: DigestClientOptions = {},
  ) {}

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<TestResponse> {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const baseHeaders: Record<string, string> = { accept: 'application/json', ...headers };
    if (payload !== undefined && baseHeaders['content-type'] === undefined) baseHeaders['content-type'] = 'application/json';
    if (this.options.mode === 'reuse-nonce' && this.#nonce !== undefined) {
      const response = await this.send(method, path, payload, { ...baseHeaders, authorization: this.answer(method, path, this.#nonce) });
      if (response.status !== 401) return response;
    }
    const first = await this.send(method, path, undefined, baseHeaders);
    if (first.status !== 401) return first;
    const challenge = first.headers.get('www-authenticate') ?? '';
    const nonce = /nonce="([^"]+)"/.exec(challenge)?.[1];
    if (nonce === undefined) return first;
    this.#nonce = nonce;
    this.#nc = 0;
    return this.send(method, path, payload, { ...baseHeaders, authorization: this.answer(method, path, nonce) });
  }

  /** An Authorization header for one request, with the next nc on `nonce`. */
  answer(method: string, path: string, nonce: string): string {
    this.#nc += 1;
    const nc = this.#nc.toString(16).padStart(8, '0');
    const cnonce = randomBytes(8).toString('hex');
    const response = clientResponse({
      username: this.publicKey,
      password: this.privateKey,
      realm: 'MMS Public API',
      method,
      uri: path,
      nonce,
      algorithm: 'MD5',
      qop: 'auth',
      nc,
      cnonce,
    });
    return `Digest username="${this.publicKey}", realm="MMS Public API", nonce="${nonce}", uri="${path}", response="${response}", algorithm="MD5", qop=auth, nc=${nc}, cnonce="${cnonce}"`;
  }

  async send(method: string, path: string, payload: string | undefined, headers: Record<string, string>): Promise<TestResponse> {
    this.sent.push({ method, path, authorization: headers['authorization'] });
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, body: payload });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) as unknown };
  }
}
