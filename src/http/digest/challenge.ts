/**
 * The `WWW-Authenticate` value, byte for byte as Ops Manager sends it.
 *
 * Nothing may be added: the official Go client (mongodb-forks/digest) splits
 * on exactly `", "` and rejects any parameter other than realm, domain, nonce,
 * opaque, stale, algorithm and qop. MD5 only, one challenge, `qop="auth"` (not
 * a list, and not the `op="auth"` of Ops Manager's documentation, which that
 * client refuses), no `opaque` (Ops Manager sends none, and some clients never
 * echo it).
 */

export const DIGEST_REALM = 'MMS Public API';

// Alphanumeric only: `=` breaks @mhoc/axios-digest-auth, `", "` breaks Go,
// and refusing anything else also rules out header injection.
const NONCE_ALPHABET = /^[A-Za-z0-9]+$/;

export function digestChallenge(nonce: string, stale: boolean): string {
  if (!NONCE_ALPHABET.test(nonce)) {
    throw new TypeError('digest nonce must be non-empty and alphanumeric');
  }
  return `Digest realm="${DIGEST_REALM}", domain="", nonce="${nonce}", algorithm=MD5, qop="auth", stale=${stale ? 'true' : 'false'}`;
}
