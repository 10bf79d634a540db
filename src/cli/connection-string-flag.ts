import { checkConnectionString, ConnectionStringError } from '../shared/connection-string.js';
import { UsageError, type OptionValues } from './command.js';
import { optionalString } from './flags.js';

/**
 * A `--connection-string` flag, checked with the driver's parser before the database is opened: a
 * string that is no MongoDB connection string is a mistake in the command line (exit 2). The message
 * never repeats the password.
 */
export async function optionalConnectionStringFlag(values: OptionValues, flag: string): Promise<string | undefined> {
  const value = optionalString(values, flag);
  if (value === undefined) return undefined;
  try {
    await checkConnectionString(value);
  } catch (error) {
    if (error instanceof ConnectionStringError) throw new UsageError(`--${flag}: ${error.message}`);
    throw error;
  }
  return value;
}

export async function connectionStringFlag(values: OptionValues, flag: string): Promise<string> {
  const value = await optionalConnectionStringFlag(values, flag);
  if (value === undefined) throw new UsageError(`--${flag} is required`);
  return value;
}
