/**
 * The checks of a validation job that need a connection, run on the migration host as Atlas runs them
 * on its migration host, each failing with the words the Atlas UI uses where it has them
 * (reference: live-migration-api.md §1.5, §2.1):
 *
 * 1. the CA file, when one is named, is readable ("Unable to process the provided CA file");
 * 2. the source answers ("Could not reach specified source") with the credentials given ("The
 *    username or password is not correct"), and lets the user list databases ("User not authorized
 *    to execute command");
 * 3. it is a replica set ("Source appears to be a standalone"): a live migration reads change streams;
 * 4. it runs MongoDB 6.0 or later;
 * 5. the destination answers, and runs the source's major version or a later one;
 * 6. the source has no time-series collection ("Source cluster contains a time series collection,
 *    which is unsupported");
 * 7. the destination holds no collection of its own, unless the migration drops the destination's data.
 *
 * Only commands MongoDB documents for every server are used: hello, buildInfo, listDatabases,
 * listCollections.
 */
import { access, constants } from 'node:fs/promises';
import { MongoClient, MongoServerError, type MongoClientOptions } from 'mongodb';
import { scrubbed } from '../../shared/connection-string.js';
import type { HostMigrationJob, ValidationReport } from '../migration-link/migration-job.js';

/** The record's words (Atlas UI, live-migration troubleshooting). */
export const VALIDATION_MESSAGES = {
  caFile: 'Unable to process the provided CA file',
  sourceUnreachable: 'Could not reach specified source',
  credentials: 'The username or password is not correct',
  notAuthorized: 'User not authorized to execute command',
  standalone: 'Source appears to be a standalone',
  timeSeries: 'Source cluster contains a time series collection, which is unsupported',
} as const;

/** MongoDB's server error codes the checks tell apart. */
export const AUTHENTICATION_FAILED = 18;
const UNAUTHORIZED = 13;

const INTERNAL_DATABASES: ReadonlySet<string> = new Set(['admin', 'local', 'config']);

/** The oldest source push live migration supports (reference §2.1: 6.0.17+; livelink checks the major version). */
const OLDEST_SOURCE_MAJOR = 6;

export interface ValidationOptions {
  /** How long each server may take to answer before it counts as unreachable. */
  timeoutMs: number;
}

export type ValidationOutcome = Pick<ValidationReport, 'status' | 'errorMessage'>;

class CheckFailed extends Error {}

export async function validateJob(job: HostMigrationJob, options: ValidationOptions): Promise<ValidationOutcome> {
  try {
    await runChecks(job, options);
    return { status: 'SUCCESS', errorMessage: null };
  } catch (error) {
    if (error instanceof CheckFailed) return { status: 'FAILED', errorMessage: error.message };
    // A server that answered the first commands and failed a later one: the job fails, saying why.
    let message = messageOf(error);
    for (const uri of [job.source.connectionString, job.destination.connectionString]) if (uri !== null) message = scrubbed(message, uri);
    return { status: 'FAILED', errorMessage: `The validation could not finish: ${message}`.slice(0, 1000) };
  }
}

/** The driver options the job's `ssl` and `caCertificatePath` call for (the connection string may ask for TLS itself). */
export function sourceClientOptions(job: HostMigrationJob): MongoClientOptions {
  const ca = job.source.caCertificatePath;
  const hasCa = ca !== null && ca !== '';
  if (!job.source.ssl && !hasCa) return {};
  return { tls: true, ...(hasCa ? { tlsCAFile: ca } : {}) };
}

async function runChecks(job: HostMigrationJob, options: ValidationOptions): Promise<void> {
  const sourceUri = job.source.connectionString;
  if (sourceUri === null) {
    throw new CheckFailed(
      `${VALIDATION_MESSAGES.sourceUnreachable}: the source has no connection string for deployment ${job.sourceClusterName} ` +
        '(livelink deployment update --connection-string)',
    );
  }
  const ca = job.source.caCertificatePath;
  if (ca !== null && ca !== '') {
    try {
      await access(ca, constants.R_OK);
    } catch {
      throw new CheckFailed(VALIDATION_MESSAGES.caFile);
    }
  }
  const timeouts = { serverSelectionTimeoutMS: options.timeoutMs, connectTimeoutMS: options.timeoutMs };
  const source = new MongoClient(sourceUri, { appName: 'livelink-validation', ...timeouts, ...sourceClientOptions(job) });
  const destination = new MongoClient(job.destination.connectionString, { appName: 'livelink-validation', ...timeouts });
  try {
    await connectSource(source);
    const sourceFacts = await describe(source, sourceUri, VALIDATION_MESSAGES.sourceUnreachable);
    if (sourceFacts.setName === undefined) throw new CheckFailed(VALIDATION_MESSAGES.standalone);
    const tooOld = versionProblem(sourceFacts.version, undefined);
    if (tooOld !== undefined) throw new CheckFailed(tooOld);
    const destinationFacts = await describeDestination(destination, job.destination.connectionString);
    const mismatch = versionProblem(sourceFacts.version, destinationFacts.version);
    if (mismatch !== undefined) throw new CheckFailed(mismatch);
    if (await hasTimeSeriesCollection(source)) throw new CheckFailed(VALIDATION_MESSAGES.timeSeries);
    if (!job.dropDestinationData) {
      const held = await userCollections(destination);
      if (held.length > 0) {
        throw new CheckFailed(
          `The destination cluster is not empty (it has ${held.slice(0, 3).join(', ')}${held.length > 3 ? ` and ${held.length - 3} more` : ''}): ` +
            'empty it, or migrate with dropDestinationData',
        );
      }
    }
  } finally {
    await Promise.allSettled([source.close(), destination.close()]);
  }
}

/**
 * Why a source running `sourceVersion` cannot be migrated (into a destination running
 * `destinationVersion`, when given); undefined when it can. Only major versions are compared.
 */
export function versionProblem(sourceVersion: string, destinationVersion: string | undefined): string | undefined {
  const source = majorOf(sourceVersion);
  if (source < OLDEST_SOURCE_MAJOR) {
    return `The source runs MongoDB ${sourceVersion}: a push live migration needs MongoDB ${OLDEST_SOURCE_MAJOR}.0 or later on the source`;
  }
  if (destinationVersion !== undefined && source > majorOf(destinationVersion)) {
    return (
      `The source runs MongoDB ${sourceVersion}, a later major version than the destination cluster's ${destinationVersion}: ` +
      'the destination must run the same major version as the source or a later one'
    );
  }
  return undefined;
}

/** `8.2.11` → 8; anything unreadable → 0 (refused as too old: a server that hides its version is not trusted with one). */
function majorOf(version: string): number {
  return Number.parseInt(version, 10) || 0;
}

async function connectSource(source: MongoClient): Promise<void> {
  try {
    await source.connect();
  } catch (error) {
    throw new CheckFailed(hasCode(error, AUTHENTICATION_FAILED) ? VALIDATION_MESSAGES.credentials : VALIDATION_MESSAGES.sourceUnreachable);
  }
}

interface ServerFacts {
  version: string;
  setName: string | undefined;
}

async function describe(client: MongoClient, uri: string, unreachable: string): Promise<ServerFacts> {
  try {
    const admin = client.db('admin');
    const hello: Record<string, unknown> = await admin.command({ hello: 1 });
    const buildInfo: Record<string, unknown> = await admin.command({ buildInfo: 1 });
    const version = typeof buildInfo['version'] === 'string' ? buildInfo['version'] : '0';
    return { version, setName: typeof hello['setName'] === 'string' ? hello['setName'] : undefined };
  } catch (error) {
    if (hasCode(error, UNAUTHORIZED)) throw new CheckFailed(VALIDATION_MESSAGES.notAuthorized);
    throw new CheckFailed(`${unreachable}: ${scrubbed(messageOf(error), uri)}`);
  }
}

async function describeDestination(destination: MongoClient, uri: string): Promise<ServerFacts> {
  const unreachable = 'Could not reach the destination cluster';
  try {
    await destination.connect();
  } catch (error) {
    throw new CheckFailed(`${unreachable}: ${scrubbed(messageOf(error), uri)}`);
  }
  return describe(destination, uri, unreachable);
}

async function hasTimeSeriesCollection(source: MongoClient): Promise<boolean> {
  for (const db of await userDatabases(source)) {
    for (const info of await source.db(db).listCollections({}, { nameOnly: false }).toArray()) {
      // mongod reports `type: 'timeseries'`; some servers report a collection with `timeseries` options.
      const options: Record<string, unknown> = info.options ?? {};
      if (info.type === 'timeseries' || options['timeseries'] !== undefined) return true;
    }
  }
  return false;
}

/** The destination's collections outside MongoDB's own databases and system collections, as `db.coll`. */
async function userCollections(destination: MongoClient): Promise<string[]> {
  const held: string[] = [];
  for (const db of await userDatabases(destination)) {
    for (const info of await destination.db(db).listCollections({}, { nameOnly: true }).toArray()) {
      if (!info.name.startsWith('system.')) held.push(`${db}.${info.name}`);
    }
  }
  return held;
}

async function userDatabases(client: MongoClient): Promise<string[]> {
  try {
    const { databases } = await client.db('admin').admin().listDatabases({ nameOnly: true });
    return databases.map((database) => database.name).filter((name) => !INTERNAL_DATABASES.has(name));
  } catch (error) {
    if (hasCode(error, UNAUTHORIZED)) throw new CheckFailed(VALIDATION_MESSAGES.notAuthorized);
    throw error;
  }
}

function hasCode(error: unknown, code: number): boolean {
  return error instanceof MongoServerError && error.code === code;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
