import { pino } from 'pino';
import { createLivelink, type Livelink } from '../app/livelink.js';
import { loadConfig } from '../config/config.js';
import type { CliIo, OptionValues } from './command.js';
import { optionalString } from './flags.js';

/**
 * The only variables a management command reads. A server-only setting (LIVELINK_PORT, LIVELINK_ROLE …)
 * that is wrong in the environment must not stop `livelink org list` from working; the keys must be read,
 * because API keys are sealed with them.
 */
const MANAGEMENT_ENV = [
  'LIVELINK_DATA_DIR',
  'LIVELINK_DATABASE_URL',
  'LIVELINK_ENCRYPTION_KEY',
  'LIVELINK_NONCE_KEY',
  'LIVELINK_PREVIOUS_ENCRYPTION_KEYS',
] as const;

/**
 * Opens the data folder for one management command and always closes it, so the process can exit. The
 * logger writes warnings (and worse) to the command's stderr: stdout stays clean for --json.
 */
export async function withLivelink<T>(values: OptionValues, io: CliIo, work: (livelink: Livelink) => Promise<T>): Promise<T> {
  const env = Object.fromEntries(MANAGEMENT_ENV.map((name) => [name, io.env[name]]));
  const config = loadConfig({
    flags: { data: optionalString(values, 'data'), 'database-url': optionalString(values, 'database-url') },
    env,
  });
  const livelink = await createLivelink(config, { logger: pino({ level: 'warn' }, io.stderr) });
  try {
    return await work(livelink);
  } finally {
    await livelink.close();
  }
}
