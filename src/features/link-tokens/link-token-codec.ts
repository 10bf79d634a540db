/**
 * The link-token, in the format real Atlas emits (every recorded token Atlas's v2 API returned decodes
 * so): standard base64, with padding, of compact JSON holding exactly `orgId`, `orgName`,
 * `privateApiKey` and `publicApiKey`, in that order.
 * It carries no URL: the source reaches the target it is configured with.
 */
export interface LinkTokenContents {
  orgId: string;
  orgName: string;
  privateApiKey: string;
  publicApiKey: string;
}

export class LinkTokenFormatError extends Error {
  override readonly name = 'LinkTokenFormatError';
}

/** Far above a real token (about 200 characters), far below anything that costs to decode. */
export const MAX_LINK_TOKEN_LENGTH = 2048;

const FIELDS = ['orgId', 'orgName', 'privateApiKey', 'publicApiKey'] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function encodeLinkToken(contents: LinkTokenContents): string {
  const json = JSON.stringify({
    orgId: contents.orgId,
    orgName: contents.orgName,
    privateApiKey: contents.privateApiKey,
    publicApiKey: contents.publicApiKey,
  });
  return Buffer.from(json, 'utf8').toString('base64');
}

/**
 * Decodes and checks a token; every refusal says what is wrong in words a person can act on, and none
 * repeats the token (it holds a private key).
 */
export function decodeLinkToken(token: string): LinkTokenContents {
  // People paste tokens with a stray newline or spaces around them; inside, base64 has no whitespace.
  const text = token.trim();
  if (text.length === 0) throw new LinkTokenFormatError('the link-token is empty.');
  if (text.length > MAX_LINK_TOKEN_LENGTH)
    throw new LinkTokenFormatError(`the link-token is longer than ${MAX_LINK_TOKEN_LENGTH} characters.`);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 === 1) {
    throw new LinkTokenFormatError('the link-token is not base64: copy the whole token that Atlas generated.');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64').toString('utf8'));
  } catch {
    throw new LinkTokenFormatError('the link-token does not decode to JSON: copy the whole token that Atlas generated.');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new LinkTokenFormatError('the link-token does not hold a JSON object.');
  }
  const record = parsed as Record<string, unknown>;
  const keys = Object.keys(record);
  for (const field of FIELDS) {
    if (!(field in record)) throw new LinkTokenFormatError(`the link-token has no ${field}.`);
    if (typeof record[field] !== 'string') throw new LinkTokenFormatError(`the link-token's ${field} is not a string.`);
  }
  const extra = keys.find((key) => !(FIELDS as readonly string[]).includes(key));
  if (extra !== undefined) throw new LinkTokenFormatError(`the link-token has an unexpected field ${JSON.stringify(extra.slice(0, 40))}.`);
  const contents = record as unknown as LinkTokenContents;
  if (!/^[a-f0-9]{24}$/.test(contents.orgId))
    throw new LinkTokenFormatError("the link-token's orgId is not a 24-hex-digit organization id.");
  if (contents.orgName.length === 0 || contents.orgName.length > 256)
    throw new LinkTokenFormatError("the link-token's orgName is empty or too long.");
  if (!/^[a-z]{8}$/.test(contents.publicApiKey)) throw new LinkTokenFormatError("the link-token's publicApiKey is not an API public key.");
  if (!UUID.test(contents.privateApiKey)) throw new LinkTokenFormatError("the link-token's privateApiKey is not an API private key.");
  return contents;
}
