/**
 * MongoDB connection strings as livelink keeps them: checked with the official driver's own parser (so a
 * string stored here is one the migration host's driver will accept), shown back only with the password
 * masked, and given to Atlas clients only without credentials.
 *
 * The parsers are loaded on first use: the driver and its URL parser take longer to load than the rest
 * of a CLI command, and only the commands that handle connection strings need them.
 */
import type { MongoClient } from 'mongodb';
import type { ConnectionString } from 'mongodb-connection-string-url';

/** What a stored connection string may be at most: far beyond any real one, and a bound on what is sealed. */
export const MAX_CONNECTION_STRING_LENGTH = 4096;

/** How a masked password reads, in the CLI and in messages. */
export const MASK = '****';

/** A string that is not a MongoDB connection string; the message never repeats a password. */
export class ConnectionStringError extends Error {
  override readonly name = 'ConnectionStringError';
}

/**
 * Checks `uri` the way the driver will read it: `mongodb://` or `mongodb+srv://`, hosts, escaped
 * credentials, known options with valid values. Nothing is resolved or connected.
 */
export async function checkConnectionString(uri: string): Promise<void> {
  if (uri.length === 0) throw new ConnectionStringError('a connection string is required');
  if (uri.length > MAX_CONNECTION_STRING_LENGTH) {
    throw new ConnectionStringError(`a connection string has at most ${MAX_CONNECTION_STRING_LENGTH} characters`);
  }
  if (!/^mongodb(\+srv)?:\/\//.test(uri)) {
    throw new ConnectionStringError('a connection string starts with mongodb:// or mongodb+srv://');
  }
  await parse(uri);
  const { MongoClient } = await loadMongoDriver();
  try {
    // The client's constructor runs the driver's whole option parser and opens nothing.
    new MongoClient(uri);
  } catch (error) {
    throw new ConnectionStringError(`not a connection string the MongoDB driver accepts: ${scrubbed(messageOf(error), uri)}`);
  }
}

/** `uri` with its password (and the other secret options the driver knows) shown as ****; the username stays. */
export async function maskedConnectionString(uri: string): Promise<string> {
  return (await parse(uri)).redact({ redactUsernames: false, replacementString: MASK }).toString();
}

/**
 * `uri` with no credentials at all: no username or password, none of the options that carry a secret.
 * What Atlas shows as a cluster's `connectionStrings.standard`.
 */
export async function connectionStringWithoutCredentials(uri: string): Promise<string> {
  const placeholder = 'livelink-redacted-9f1c';
  const url = (await parse(uri)).redact({ redactUsernames: true, replacementString: placeholder });
  url.username = '';
  url.password = '';
  for (const [name, value] of [...url.searchParams]) if (value.includes(placeholder)) url.searchParams.delete(name);
  return url.toString();
}

/**
 * `message` with every credential of `uri` replaced by ****: what a driver error may say about the
 * string it was given, made fit to print.
 */
export function scrubbed(message: string, uri: string): string {
  const secrets = new Set<string>();
  // Up to the last @: a password with an unescaped @ in it (a mistake the parser reports) is still masked whole.
  const rest = uri.replace(/^[a-z+]*:\/\//i, '');
  const userinfo = rest.includes('@') ? rest.slice(0, rest.lastIndexOf('@')) : undefined;
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(':');
    const password = colon === -1 ? '' : userinfo.slice(colon + 1);
    for (const value of [userinfo, password]) {
      if (value.length === 0) continue;
      secrets.add(value);
      try {
        secrets.add(decodeURIComponent(value));
      } catch {
        // Not percent-decodable: the raw form is the only one a message can hold.
      }
    }
  }
  for (const option of ['tlsCertificateKeyFilePassword', 'proxyPassword', 'authMechanismProperties']) {
    const value = new RegExp(`[?&]${option}=([^&]+)`, 'i').exec(uri)?.[1];
    if (value !== undefined) secrets.add(value);
  }
  let text = message;
  // Longest first, so that a password inside the whole userinfo is not half replaced.
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) text = text.split(secret).join(MASK);
  return text;
}

/** What livelink uses of the driver. */
export interface MongoDriver {
  MongoClient: typeof MongoClient;
}

let driver: Promise<MongoDriver> | undefined;

/**
 * The official driver, imported on first use. Both packages here are CommonJS: Node gives their
 * exports by name, the bundle (esbuild) only under `default` when they define them with getters, as the
 * driver does; so a name missing at the top is read from `default`.
 */
export function loadMongoDriver(): Promise<MongoDriver> {
  driver ??= import('mongodb').then((module: MongoDriver & { default?: MongoDriver }) => {
    const MongoClient = module.MongoClient ?? module.default?.MongoClient;
    if (MongoClient === undefined) throw new Error('the mongodb package exports no MongoClient');
    return { MongoClient };
  });
  return driver;
}

let parser: Promise<typeof ConnectionString> | undefined;

async function parse(uri: string): Promise<ConnectionString> {
  parser ??= import('mongodb-connection-string-url').then(
    (module: { ConnectionString?: typeof ConnectionString; default?: { ConnectionString?: typeof ConnectionString } }) => {
      const Parser = module.ConnectionString ?? module.default?.ConnectionString;
      if (Parser === undefined) throw new Error('the mongodb-connection-string-url package exports no ConnectionString');
      return Parser;
    },
  );
  const Parser = await parser;
  try {
    return new Parser(uri);
  } catch (error) {
    throw new ConnectionStringError(`not a valid MongoDB connection string: ${scrubbed(messageOf(error), uri)}`);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
