/**
 * A fresh PostgreSQL database per run, created from the URL of a user that may create databases and
 * dropped at the end, so runs never see each other's rows.
 */
import { randomBytes } from 'node:crypto';
import process from 'node:process';
import pg from 'pg';

export function postgresAdminUrl(): string | undefined {
  return process.env['LIVELINK_BENCH_POSTGRES_URL'] || process.env['LIVELINK_TEST_POSTGRES_URL'] || undefined;
}

export interface BenchDatabase {
  url: string;
  name: string;
  serverVersion: string;
  drop(): Promise<void>;
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function createBenchDatabase(adminUrl: string): Promise<BenchDatabase> {
  const name = `livelink_bench_${randomBytes(6).toString('hex')}`;
  const serverVersion = await withClient(adminUrl, async (client) => {
    // The name is ours (hex), never input: safe to put in the statement.
    await client.query(`create database ${name}`);
    const result = await client.query<{ server_version: string }>('show server_version');
    return result.rows[0]?.server_version ?? 'unknown';
  });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    serverVersion,
    drop: () =>
      withClient(adminUrl, async (client) => {
        await client.query(`drop database if exists ${name} with (force)`);
      }),
  };
}
