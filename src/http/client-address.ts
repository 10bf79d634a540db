import { accessListAllows, displayAddress } from '../shared/access-list.js';

/**
 * The caller's address: the socket's, unless the socket is a configured proxy, in which case the
 * right-most X-Forwarded-For hop that is not itself a trusted proxy. A client can prepend anything to
 * the header, so only hops added by trusted proxies count.
 */
export function clientAddress(
  socketAddress: string | undefined,
  forwardedFor: string | string[] | undefined,
  trustedProxies: readonly string[],
): string {
  const socket = displayed(socketAddress ?? '');
  if (trustedProxies.length === 0 || forwardedFor === undefined || !accessListAllows(trustedProxies, socket)) return socket;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor)
    .split(',')
    .map((hop) => hop.trim())
    .filter((hop) => hop !== '');
  for (let i = hops.length - 1; i >= 0; i -= 1) {
    const hop = displayAddress(hops[i] as string);
    if (!accessListAllows(trustedProxies, hop)) return hop;
  }
  return socket;
}

/**
 * The display form of the last few socket addresses: a keep-alive client sends many requests from one
 * address, and parsing it with ipaddr.js each time showed in profiles.
 */
const recentlyDisplayed = new Map<string, string>();

function displayed(address: string): string {
  let shown = recentlyDisplayed.get(address);
  if (shown === undefined) {
    if (recentlyDisplayed.size >= 1024) recentlyDisplayed.clear();
    shown = displayAddress(address);
    recentlyDisplayed.set(address, shown);
  }
  return shown;
}
