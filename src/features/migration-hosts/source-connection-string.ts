/**
 * The source deployment's connection string with the credentials of a migration request in it (when
 * Automation does not manage the source's authentication, the request carries a SCRAM user). Built with
 * the driver's own URL parser, which knows seed lists (`h1:27017,h2:27017`) and `mongodb+srv://`.
 * Loaded on first use, as src/shared/connection-string.ts loads it.
 */
export async function withCredentials(uri: string, username: string, password: string | null): Promise<string> {
  const { ConnectionString } = await import('mongodb-connection-string-url');
  const url = new ConnectionString(uri);
  // The setters leave `%` as it is: escaping first keeps a password like `50%off` what it is.
  url.username = encodeURIComponent(username);
  url.password = password === null ? '' : encodeURIComponent(password);
  return url.toString();
}
