import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/core/db/database.js';
import { createMigrator, type ModuleMigrations } from '../../src/core/db/migrator.js';
import { coreMigrations } from '../../src/core/migrations.js';

/** postgres://... when the suite runs against PostgreSQL (CI's second pass), undefined for SQLite. */
export const postgresBaseUrl = process.env.RAMPART_TEST_DATABASE_URL || undefined;
export const onPostgres = postgresBaseUrl !== undefined;

export interface TestDatabase {
  /** A database URL for this test alone ('' means SQLite in dataDir). */
  url: string;
  dataDir: string;
  /** Opens another handle on the same database (another "node"). */
  open(): Database;
  cleanup(): Promise<void>;
}

/** A fresh, empty database for one test: a temp SQLite file, or a new database on the PostgreSQL server. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rampart-test-'));
  let url = '';
  let dropDatabase = async () => {};
  if (postgresBaseUrl) {
    const name = `rampart_t_${randomBytes(6).toString('hex')}`;
    await adminQuery(`create database ${name}`);
    const u = new URL(postgresBaseUrl);
    u.pathname = `/${name}`;
    url = u.toString();
    dropDatabase = async () => void (await adminQuery(`drop database if exists ${name} with (force)`));
  }
  const handles: Database[] = [];
  return {
    url,
    dataDir,
    open() {
      const db = openDatabase({ url, dataDir });
      handles.push(db);
      return db;
    },
    async cleanup() {
      await Promise.all(handles.map((h) => h.close().catch(() => {})));
      await dropDatabase();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function adminQuery(text: string) {
  const client = new pg.Client({ connectionString: postgresBaseUrl });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

/**
 * A PostgreSQL URL that reaches the same database through the server's unix socket. A process inside a network
 * namespace shares the host's file system but not its loopback, so this is how it reaches the test database.
 */
export async function unixSocketUrl(url: string): Promise<string> {
  const { rows } = await adminQuery('show unix_socket_directories');
  const u = new URL(url);
  u.hostname = 'localhost';
  u.searchParams.set('host', String(rows[0].unix_socket_directories).split(',')[0].trim());
  return u.toString();
}

/** A fresh database with the core tables migrated, and one open handle on it. */
export async function migratedDatabase(extra: ModuleMigrations[] = []): Promise<TestDatabase & { db: Database }> {
  const tdb = await createTestDatabase();
  const db = tdb.open();
  await createMigrator(db, [...coreMigrations, ...extra], 'test').migrate();
  return { ...tdb, db };
}
