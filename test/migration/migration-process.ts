/**
 * A migration in a process of its own, for the tests that kill it with SIGKILL:
 *
 *   node --import tsx test/migration/migration-process.ts SOURCE_URL DESTINATION_URL CHECKPOINT_FILE BATCH_SIZE
 *
 * Prints one JSON line per recorded step (the progress, after its checkpoint is saved), so a test can
 * kill it after a known number of copied documents or applied changes. A line "cutover" on standard
 * input asks for cutover; the process exits 0 once the migration is COMPLETE, 1 if it fails.
 */
import { createInterface } from 'node:readline';
import { FileCheckpointStore } from '../../src/features/live-migrations/data-plane/file-checkpoint-store.js';
import { runMigration } from '../../src/features/live-migrations/data-plane/run-migration.js';

const [source, destination, checkpointFile, batchSize] = process.argv.slice(2);
if (source === undefined || destination === undefined || checkpointFile === undefined || batchSize === undefined) {
  console.error('usage: migration-process.ts SOURCE_URL DESTINATION_URL CHECKPOINT_FILE BATCH_SIZE');
  process.exit(2);
}

const migration = runMigration({
  source,
  destination,
  checkpointStore: new FileCheckpointStore(checkpointFile),
  batchSize: Number(batchSize),
  maxAwaitTimeMS: 200,
  onProgress: (progress) => {
    process.stdout.write(`${JSON.stringify(progress)}\n`);
  },
});

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() !== 'cutover') return;
  migration.cutover().catch((error: unknown) => console.error(`cutover refused: ${String(error)}`));
});

migration.done.then(
  (outcome) => {
    process.stdout.write(`${JSON.stringify({ outcome })}\n`);
    process.exit(outcome === 'COMPLETE' ? 0 : 1);
  },
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
