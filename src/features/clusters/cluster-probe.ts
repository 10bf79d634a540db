import { connectionStringWithoutCredentials, loadMongoDriver, scrubbed } from '../../shared/connection-string.js';
import { ClusterUnreachableError, type ClusterProbe } from './cluster.js';

/** "A few seconds": long enough for a server across a network, short enough for a person at a prompt. */
export const PROBE_TIMEOUT_MS = 5000;

/**
 * Asks the server for `buildInfo` with the official driver (loaded on first use), as a migration host
 * will connect to it: a server that does not answer within the timeout, refuses the credentials or
 * answers something that is no version is a ClusterUnreachableError.
 */
export function mongoClusterProbe(timeoutMs: number = PROBE_TIMEOUT_MS): ClusterProbe {
  return async (connectionString) => {
    const where = await connectionStringWithoutCredentials(connectionString);
    const { MongoClient } = await loadMongoDriver();
    const client = new MongoClient(connectionString, {
      serverSelectionTimeoutMS: timeoutMs,
      connectTimeoutMS: timeoutMs,
      socketTimeoutMS: timeoutMs,
      appName: 'livelink',
    });
    try {
      const info = await client.db('admin').command({ buildInfo: 1 });
      const version: unknown = info['version'];
      if (typeof version !== 'string' || !/^\d+\.\d+\.\d+[0-9A-Za-z.+-]{0,48}$/.test(version)) {
        throw new ClusterUnreachableError(`the MongoDB server at ${where} answered buildInfo without a version livelink can read`);
      }
      return { mongoDBVersion: version };
    } catch (error) {
      if (error instanceof ClusterUnreachableError) throw error;
      const why = scrubbed(error instanceof Error ? error.message : String(error), connectionString);
      throw new ClusterUnreachableError(
        `could not read buildInfo from the MongoDB server at ${where} within ${timeoutMs / 1000} s: ${why}`,
      );
    } finally {
      await client.close().catch(() => undefined);
    }
  };
}
