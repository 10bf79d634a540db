/**
 * What the data plane asks a deployment about itself, with only the commands MongoDB documents for
 * replica sets: `hello` (topology, the last write's optime) and `buildInfo` (the version).
 */
import { Timestamp, type Document, type MongoClient } from 'mongodb';
import { MigrationError } from './migration-error.js';

export interface DeploymentDescription {
  readonly version: string;
  /** The replica set's name; undefined for a standalone, which has no oplog and no change streams. */
  readonly setName: string | undefined;
  readonly isWritablePrimary: boolean;
}

export async function describeDeployment(client: MongoClient): Promise<DeploymentDescription> {
  const admin = client.db('admin');
  const hello = await admin.command({ hello: 1 });
  const buildInfo = await admin.command({ buildInfo: 1 });
  return {
    version: String(buildInfo['version']),
    setName: typeof hello['setName'] === 'string' ? hello['setName'] : undefined,
    isWritablePrimary: hello['isWritablePrimary'] === true,
  };
}

export function requireReplicaSet(source: DeploymentDescription): void {
  if (source.setName === undefined) {
    throw new MigrationError(
      'SOURCE_NOT_REPLICA_SET',
      `the source (MongoDB ${source.version}) is not a replica set: a live migration reads the source's change streams, which only replica sets and sharded clusters have`,
    );
  }
}

/**
 * The optime of the source's last write, from `hello`'s `lastWrite.opTime.ts` (reported by every
 * replica-set member), else the reply's `operationTime`. Every write at or after it reaches a change
 * stream opened with `startAtOperationTime` at this point; every earlier one is visible to a read
 * started after this call.
 */
export async function currentOperationTime(client: MongoClient): Promise<Timestamp> {
  const hello: Document = await client.db('admin').command({ hello: 1 });
  const lastWrite = hello['lastWrite'] as { opTime?: { ts?: unknown } } | undefined;
  const candidate: unknown = lastWrite?.opTime?.ts ?? hello['operationTime'];
  if (candidate instanceof Timestamp) return candidate;
  throw new MigrationError('SOURCE_NOT_REPLICA_SET', 'the source reports no operation time in hello: it is not a replica-set member');
}
