/** Reads and writes the few cookies the pages use; no cookie library for two names. */

/** The cookies of a request; a name sent twice keeps its first value, as browsers send the most specific first. */
export function readCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (header === undefined) return cookies;
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    if (at <= 0) continue;
    const name = part.slice(0, at).trim();
    const value = part.slice(at + 1).trim();
    if (!cookies.has(name)) cookies.set(name, value);
  }
  return cookies;
}

export interface CookieOptions {
  path: string;
  /** Seconds; 0 removes the cookie; absent makes a browser-session cookie. */
  maxAgeSeconds?: number;
  /** Set when livelink serves HTTPS, so the browser never sends the cookie over plain HTTP. */
  secure: boolean;
}

/** Always HttpOnly (no script reads them) and SameSite=Lax (no cross-site POST carries them). */
export function serializeCookie(name: string, value: string, options: CookieOptions): string {
  const parts = [`${name}=${value}`, `Path=${options.path}`, 'HttpOnly', 'SameSite=Lax'];
  if (options.maxAgeSeconds !== undefined) parts.push(`Max-Age=${options.maxAgeSeconds}`);
  if (options.secure) parts.push('Secure');
  return parts.join('; ');
}
