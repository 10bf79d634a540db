import ipaddr from 'ipaddr.js';

/**
 * IP access-list entries: an address (`203.0.113.10`) or a CIDR block (`203.0.113.0/24`, `2001:db8::/32`),
 * as Ops Manager accepts them. Entries are stored in their canonical form.
 */
export function canonicalAccessListEntry(entry: string): string | undefined {
  const text = entry.trim();
  if (text.length === 0 || text.length > 64) return undefined;
  const addressPart = text.split('/')[0] ?? '';
  // ipaddr.js also takes legacy forms such as "1.2.3" or octal parts; an access list takes only the usual ones.
  if (!ipaddr.IPv4.isValidFourPartDecimal(addressPart) && !(addressPart.includes(':') && ipaddr.IPv6.isValid(addressPart)))
    return undefined;
  try {
    if (text.includes('/')) {
      if (!/^\d{1,3}$/.test(text.split('/')[1] ?? '')) return undefined;
      const [address, prefix] = ipaddr.parseCIDR(text);
      return `${normalize(address).toString()}/${address.kind() === 'ipv6' && normalize(address).kind() === 'ipv4' ? prefix - 96 : prefix}`;
    }
    return normalize(ipaddr.parse(text)).toString();
  } catch {
    return undefined;
  }
}

/** Every loopback address a caller on this machine can come from (IPv4-mapped IPv6 is shown as IPv4). */
const LOOPBACK = ['127.0.0.0/8', '::1/128'];

/** Is `ip` a caller on this machine? What the endpoints served to this machine only (control, metrics) ask. */
export function isLoopbackAddress(ip: string): boolean {
  return accessListAllows(LOOPBACK, ip);
}

/**
 * One spelling per entry, for storing and comparing: a block of one address (`/32`, `/128`) is that
 * address, as Ops Manager shows `203.0.113.10/32` and `203.0.113.10` as one entry. Undefined when the
 * text is not an entry.
 */
export function accessListEntryIdentity(entry: string): string | undefined {
  const canonical = canonicalAccessListEntry(entry);
  if (canonical === undefined) return undefined;
  const [address = '', prefix] = canonical.split('/');
  return prefix === (address.includes(':') ? '128' : '32') ? address : canonical;
}

/** An entry as a CIDR block: `203.0.113.10` is `203.0.113.10/32` (Ops Manager's `cidrBlock` of an address). */
export function accessListEntryAsCidr(entry: string): string {
  return entry.includes('/') ? entry : `${entry}/${entry.includes(':') ? '128' : '32'}`;
}

/** Is `ip` (as the socket or a trusted proxy reports it) inside any of the entries? */
export function accessListAllows(entries: readonly string[], ip: string): boolean {
  let address: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    address = normalize(ipaddr.parse(ip));
  } catch {
    return false;
  }
  return entries.some((entry) => {
    try {
      if (!entry.includes('/')) return normalize(ipaddr.parse(entry)).toString() === address.toString();
      const [network, prefix] = ipaddr.parseCIDR(entry);
      return network.kind() === address.kind() && address.match(network, prefix);
    } catch {
      return false;
    }
  });
}

/** The textual form of a client address, IPv4-mapped IPv6 (`::ffff:127.0.0.1`) shown as IPv4. */
export function displayAddress(ip: string): string {
  try {
    return normalize(ipaddr.parse(ip)).toString();
  } catch {
    return ip;
  }
}

function normalize(address: ipaddr.IPv4 | ipaddr.IPv6): ipaddr.IPv4 | ipaddr.IPv6 {
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) {
    return (address as ipaddr.IPv6).toIPv4Address();
  }
  return address;
}
