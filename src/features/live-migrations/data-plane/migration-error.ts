/**
 * The failures of a migration that an operator can act on, each with a stable code (the migration
 * host reports it, the API shows it). Anything else that escapes the data plane is a driver or server
 * error and keeps its own message.
 */
export type MigrationErrorCode =
  /** The source answers `hello` without a replica-set name: change streams need a replica set. */
  | 'SOURCE_NOT_REPLICA_SET'
  /** The destination already holds a namespace the source has, and dropDestinationData is off. */
  | 'DESTINATION_NOT_EMPTY'
  /** The source's oplog no longer holds the point the tail must resume from. */
  | 'SOURCE_CHANGE_HISTORY_LOST'
  /** The destination refused a write or another command of the migration (its user's roles, a server not accepting writes). */
  | 'DESTINATION_REFUSED'
  /** cutover() was asked before the initial copy had finished. */
  | 'NOT_READY_FOR_CUTOVER'
  /** The migration stopped (its abort signal) before it completed. */
  | 'MIGRATION_STOPPED'
  /** The checkpoint store holds something that is not a checkpoint of this format. */
  | 'INVALID_CHECKPOINT';

export class MigrationError extends Error {
  override readonly name = 'MigrationError';

  constructor(
    readonly code: MigrationErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
