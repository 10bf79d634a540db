/**
 * A browser-less client of the web pages: a cookie jar, forms as a browser sends them, and the CSRF
 * token read from the page, for tests at the HTTP level.
 */
export interface PageResponse {
  status: number;
  headers: Headers;
  text: string;
  location: string | null;
}

export class WebClient {
  readonly cookies = new Map<string, string>();

  constructor(
    readonly baseUrl: string,
    private readonly extraHeaders: Record<string, string> = {},
  ) {}

  async get(path: string): Promise<PageResponse> {
    return this.#send('GET', path, undefined);
  }

  async post(path: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<PageResponse> {
    return this.#send('POST', path, new URLSearchParams(fields).toString(), {
      'content-type': 'application/x-www-form-urlencoded',
      ...headers,
    });
  }

  /** Posts a form of `page`, with the CSRF token the page carries. */
  async submit(page: PageResponse, path: string, fields: Record<string, string> = {}): Promise<PageResponse> {
    return this.post(path, { csrf: csrfOf(page.text), ...fields });
  }

  /** Signs in through the login form; resolves to the answer of the POST (a 303 when it worked). */
  async login(username: string, password: string, next = ''): Promise<PageResponse> {
    const form = await this.get(`/login${next === '' ? '' : `?next=${encodeURIComponent(next)}`}`);
    return this.post('/login', { csrf: csrfOf(form.text), username, password, next });
  }

  async #send(method: string, path: string, body: string | undefined, headers: Record<string, string> = {}): Promise<PageResponse> {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(new URL(path, this.baseUrl), {
      method,
      redirect: 'manual',
      headers: { ...this.extraHeaders, ...(cookie === '' ? {} : { cookie }), ...headers },
      ...(body === undefined ? {} : { body }),
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
      const at = pair.indexOf('=');
      const name = pair.slice(0, at);
      const value = pair.slice(at + 1);
      if (attributes.some((a) => a.toLowerCase() === 'max-age=0') || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return { status: response.status, headers: response.headers, text: await response.text(), location: response.headers.get('location') };
  }
}

export function csrfOf(html: string): string {
  const match = /name="csrf" value="([^"]+)"/.exec(html);
  if (match === null) throw new Error(`no CSRF token in the page: ${html.slice(0, 400)}`);
  return match[1] ?? '';
}

/** The text of a page without tags, whitespace collapsed, for assertions on what a person reads. */
export function textOf(html: string): string {
  return html
    .replace(/<(script|style)[\s\S]*?<\/\1>/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/\s+/g, ' ')
    .trim();
}
