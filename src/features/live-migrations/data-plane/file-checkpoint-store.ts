/**
 * A checkpoint kept in one file, replaced atomically: the new content goes to a temporary file in the
 * same folder, is fsynced, renamed over the old one, and the folder is fsynced so the rename itself
 * survives a power loss. A reader therefore sees the old checkpoint or the new one, never a mix.
 *
 * The content is MongoDB Extended JSON (canonical), so the BSON values a checkpoint holds (the start
 * optime, resume tokens, the last copied _id of any type, collection options) come back exactly.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { BSON, Timestamp } from 'mongodb';
import type { CheckpointPhase, CollectionCopyState, MigrationCheckpoint, MigrationCheckpointStore } from './checkpoint.js';
import { MigrationError } from './migration-error.js';

const PHASES: ReadonlySet<string> = new Set<CheckpointPhase>(['COPYING', 'TAILING', 'CUTTING_OVER', 'COMPLETE']);

export class FileCheckpointStore implements MigrationCheckpointStore {
  constructor(readonly path: string) {}

  async load(): Promise<MigrationCheckpoint | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    let parsed: unknown;
    try {
      parsed = BSON.EJSON.parse(text, { relaxed: false });
    } catch (error) {
      throw new MigrationError('INVALID_CHECKPOINT', `${this.path} is not Extended JSON`, { cause: error });
    }
    return decodeCheckpoint(parsed, this.path);
  }

  async save(checkpoint: MigrationCheckpoint): Promise<void> {
    const text = BSON.EJSON.stringify(checkpoint, { relaxed: false });
    const folder = dirname(this.path);
    const temporary = join(folder, `.${basename(this.path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    const file = await open(temporary, 'w', 0o600);
    try {
      await file.writeFile(text, 'utf8');
      await file.sync();
    } catch (error) {
      await file.close();
      await rm(temporary, { force: true });
      throw error;
    }
    await file.close();
    await rename(temporary, this.path);
    const directory = await open(folder, 'r');
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
  }
}

function decodeCheckpoint(value: unknown, path: string): MigrationCheckpoint {
  const invalid = (what: string): never => {
    throw new MigrationError('INVALID_CHECKPOINT', `${path} is not a migration checkpoint: ${what}`);
  };
  if (!isDocument(value)) return invalid('not a document');
  if (plainNumber(value['version']) !== 1) return invalid('unknown version');
  const phase = value['phase'];
  if (typeof phase !== 'string' || !PHASES.has(phase)) return invalid('unknown phase');
  const start = value['startAtOperationTime'];
  if (!(start instanceof Timestamp)) return invalid('no start point');
  const copyCompletedAt = value['copyCompletedAt'];
  if (copyCompletedAt !== undefined && !(copyCompletedAt instanceof Timestamp)) return invalid('copyCompletedAt is not a timestamp');
  const appliedThrough = value['appliedThrough'];
  if (appliedThrough !== undefined && !(appliedThrough instanceof Timestamp)) return invalid('appliedThrough is not a timestamp');
  const resumeToken = value['resumeToken'];
  if (resumeToken !== undefined && !isDocument(resumeToken)) return invalid('resumeToken is not a document');
  const collections = value['collections'];
  if (!Array.isArray(collections)) return invalid('no collections');
  const skipped = value['skipped'];
  if (!Array.isArray(skipped)) return invalid('no skipped list');
  const counters = value['counters'];
  if (!isDocument(counters)) return invalid('no counters');
  const updatedAt = value['updatedAt'];
  return {
    version: 1,
    phase: phase as CheckpointPhase,
    startAtOperationTime: start,
    ...(copyCompletedAt === undefined ? {} : { copyCompletedAt }),
    ...(resumeToken === undefined ? {} : { resumeToken }),
    ...(appliedThrough === undefined ? {} : { appliedThrough }),
    collections: collections.map((entry): CollectionCopyState => {
      if (!isDocument(entry) || !isDocument(entry['ns']) || !isDocument(entry['options'])) return invalid('a malformed collection entry');
      const ns = entry['ns'];
      const db = ns['db'];
      const coll = ns['coll'];
      const kind = entry['kind'];
      if (typeof db !== 'string' || typeof coll !== 'string' || (kind !== 'collection' && kind !== 'view')) {
        return invalid('a malformed collection entry');
      }
      return {
        ns: { db, coll },
        kind,
        options: entry['options'],
        ...(entry['uuid'] === undefined ? {} : { uuid: entry['uuid'] }),
        done: entry['done'] === true,
        documentsCopied: plainNumber(entry['documentsCopied']) ?? 0,
        ...(entry['lastId'] === undefined ? {} : { lastId: entry['lastId'] }),
      };
    }),
    skipped: skipped.map((entry) => {
      if (!isDocument(entry) || typeof entry['ns'] !== 'string' || typeof entry['reason'] !== 'string')
        return invalid('a malformed skipped entry');
      return { ns: entry['ns'], reason: entry['reason'] };
    }),
    counters: {
      documentsCopied: plainNumber(counters['documentsCopied']) ?? 0,
      changesApplied: plainNumber(counters['changesApplied']) ?? 0,
    },
    updatedAt: updatedAt instanceof Date ? updatedAt : new Date(0),
  };
}

/** A document whose fields are still to be checked: `unknown`, not the `any` of the driver's `Document`. */
function isDocument(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Canonical Extended JSON reads numbers back as BSON wrappers (Int32, Double, Long). */
function plainNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'object' && value !== null && 'valueOf' in value) {
    const primitive = (value as { valueOf(): unknown }).valueOf();
    if (typeof primitive === 'number') return primitive;
  }
  if (typeof value === 'object' && value !== null && 'toNumber' in value && typeof value.toNumber === 'function') {
    const converted: unknown = (value as { toNumber(): unknown }).toNumber();
    if (typeof converted === 'number') return converted;
  }
  return undefined;
}
