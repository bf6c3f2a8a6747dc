import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { BenchContext } from './types.js';

const DEFAULT_POSTGRES = 'postgres://postgres@127.0.0.1:5432/postgres';

/** The admin URL to create bench databases next to (BENCH_POSTGRES_URL or the local default), or undefined when none answers. */
export async function postgresAdminUrl(ctx: BenchContext): Promise<string | undefined> {
  const url = process.env.BENCH_POSTGRES_URL || DEFAULT_POSTGRES;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    return url;
  } catch (err) {
    if (process.env.BENCH_POSTGRES_URL) throw new Error(`BENCH_POSTGRES_URL does not answer: ${(err as Error).message}`);
    ctx.log(`  (no PostgreSQL at ${url}: the PostgreSQL half is left out)`);
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A fresh database next to the admin URL's, dropped when the scope ends. */
export async function freshDatabase(ctx: BenchContext, adminUrl: string): Promise<string> {
  const name = `rampart_bench_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`create database ${name}`);
  ctx.defer(() => admin(`drop database if exists ${name} with (force)`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
