/**
 * PostgreSQL for tests: LIVELINK_TEST_POSTGRES_URL names a server where the user may create
 * databases (.ci/run starts one). Each call makes a fresh database and drops it afterwards.
 * Without the variable the PostgreSQL suites are skipped, and say how to run them.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const POSTGRES_URL = process.env['LIVELINK_TEST_POSTGRES_URL'];

export const POSTGRES_SKIP_REASON =
  POSTGRES_URL === undefined
    ? 'PostgreSQL suite skipped: set LIVELINK_TEST_POSTGRES_URL=postgres://user:password@127.0.0.1:5432/postgres (a user that may create databases) to run it; .ci/run does'
    : false;

export interface FreshPostgres {
  url: string;
  drop(): Promise<void>;
}

export async function freshPostgresDatabase(): Promise<FreshPostgres> {
  if (POSTGRES_URL === undefined) throw new Error(String(POSTGRES_SKIP_REASON));
  const name = `livelink_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}
