import { AsyncLocalStorage } from 'node:async_hooks';
import { chmodSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { PostgresDialect, SqliteDialect, type Compilable, type CompiledQuery, type Kysely } from 'kysely';
import type pg from 'pg';
import { lazyRequire } from '../lazy-require.js';
import { dialectHelpers, type DialectHelpers } from './dialect.js';
import { cachedPostgresPool, cachedSqlite, type StatementCache, type StatementStats } from './statement-cache.js';
import { lazyTransactions, type LazyTransaction, type LazyTransactions } from './lazy-transaction.js';
import { preparedRead, type DirectStatements } from './prepared-read.js';
import { withEnds } from './pg-pipeline.js';
import type { Tables } from './tables.js';

export interface DatabaseOptions {
  /** Empty for SQLite in dataDir, sqlite:PATH, or postgres://... */
  url: string;
  dataDir: string;
  poolMax?: number;
  busyTimeoutMs?: number;
}

export interface Database {
  readonly dialect: DialectHelpers;
  /**
   * The handle to query with: the open transaction of the current unit of work when there is one, else the pool.
   * Stores read it on every call, so a service's writes and its audit row commit or roll back together.
   */
  readonly kysely: Kysely<Tables>;
  /** Runs fn in a transaction; nested calls join the outer one. */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * Runs fn with all its queries on one pooled connection, taken at its first query and each statement committing
   * on its own (a transaction inside begins on that connection). Under load a request then waits for the pool
   * once, not once per query. SQLite has a single connection: fn runs as it is.
   */
  oneConnection<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * A read for the hottest paths, built and compiled once: `build` gets a placeholder for each argument and the
   * returned function runs the same SQL with the values it is given (scalars only, each used as one parameter).
   * It joins the current unit of work like any query; on SQLite, outside one and with the connection free, it runs
   * the cached statement at once, without Kysely's build, compile, acquire and release (see prepared-read.ts).
   */
  prepare<A extends unknown[], R>(build: (db: Kysely<Tables>, ...args: A) => Compilable<R>): (...args: A) => Promise<R[]>;
  /**
   * A write whose outcome the caller does not read: no RETURNING, and no error it would turn into an answer (a
   * failure fails the unit, at its next query or its commit). On PostgreSQL inside a transaction it is held and
   * sent with the unit's other held writes as one statement before the next query or the commit (write-batch.ts):
   * a round trip saved per write. `untilCommit`: only the commit can show its effect (pg_notify), so it waits for
   * the commit even when queries follow. Elsewhere it runs at once.
   */
  defer(query: Compilable<unknown> | CompiledQuery, opts?: { untilCommit?: boolean }): Promise<void>;
  /** Runs fn once the current transaction commits (never if it rolls back); at once outside a transaction. */
  afterCommit(fn: () => void): void;
  /** Runs fn once the current transaction ends, committed or rolled back; at once outside a transaction. */
  afterEnd(fn: () => void): void;
  /**
   * The current transaction runs again from its start (a few times at most) when it fails with an error `test`
   * accepts: for a unit that checks without a lock and leaves the last word to a unique index, a lost race is
   * answered by running it again, whose checks then see the winner. Answers which run this is (1 the first; 1
   * outside a transaction, or in one begun inside oneConnection, where nothing is retried).
   */
  retryIf(test: (err: unknown) => boolean): number;
  /** The statement cache's figures (statement-cache.ts): prepares stay flat while the same queries repeat. */
  statements(): StatementStats;
  /** One round trip, for readiness checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
  /** A human-readable location without credentials. */
  readonly location: string;
  /** The PostgreSQL connection string, for components that need a dedicated connection (LISTEN). */
  readonly postgresUrl?: string;
}

/** How many times db.transaction runs a unit whose failure its retryIf test accepts. */
const TRANSACTION_ATTEMPTS = 5;

/** PostgreSQL's driver, loaded only when the database is PostgreSQL (lazy-require.ts). */
export const loadPg = lazyRequire<typeof pg>('pg');
let pgTypesSet = false;

/** Timestamps come back as ISO strings, as they are stored on SQLite; int8 counts as numbers. */
function postgresDriver(): typeof pg {
  const driver = loadPg();
  if (!pgTypesSet) {
    pgTypesSet = true;
    driver.types.setTypeParser(driver.types.builtins.TIMESTAMPTZ, (v) => new Date(v).toISOString());
    driver.types.setTypeParser(driver.types.builtins.TIMESTAMP, (v) => new Date(`${v}Z`).toISOString());
    driver.types.setTypeParser(driver.types.builtins.INT8, (v) => Number(v));
  }
  return driver;
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

export function openDatabase(opts: DatabaseOptions): Database {
  return isPostgresUrl(opts.url) ? openPostgres(opts) : openSqlite(opts);
}

function openSqlite(opts: DatabaseOptions): Database {
  const path = opts.url ? resolve(opts.url.replace(/^sqlite:(\/\/)?/, '')) : resolve(opts.dataDir, 'rampart.db');
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const sqlite = new SQLite(path, { timeout: opts.busyTimeoutMs ?? 5000 });
  chmodSync(path, 0o600); // it holds sealed secrets and hashes: owner only, like the key file
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  const statements = cachedSqlite(sqlite);
  const kysely = lazyTransactions<Tables>(new SqliteDialect({ database: statements }), { oneConnection: true });
  // Health checks ping on every request: a statement prepared once keeps that check real and cheap.
  const pingStatement = sqlite.prepare('select 1');
  const direct: DirectStatements = { all: (sql, parameters) => statements.prepare(sql).all(parameters as unknown[]) };
  return withUnitOfWork(kysely, statements, dialectHelpers('sqlite'), `sqlite:${path}`, async () => void pingStatement.get(), undefined, false, direct);
}

function openPostgres(opts: DatabaseOptions): Database {
  const pool = new (postgresDriver().Pool)({ connectionString: opts.url, max: opts.poolMax ?? 10 });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  const statements = cachedPostgresPool(pool);
  const kysely = lazyTransactions<Tables>(new PostgresDialect({ pool: statements }), { withEnds });
  const url = new URL(opts.url);
  url.password = '';
  const ping = async () => void (await pool.query('select 1'));
  return withUnitOfWork(kysely, statements, dialectHelpers('postgres'), `postgres://${url.host}${url.pathname}`, ping, opts.url, true);
}

function withUnitOfWork(
  databases: LazyTransactions<Tables>,
  statements: StatementCache,
  dialect: DialectHelpers,
  location: string,
  ping: () => Promise<void>,
  postgresUrl?: string,
  pooled = false,
  direct?: DirectStatements,
): Database {
  const root = databases.root;
  /**
   * The current unit: a transaction (with its after-commit and after-end callbacks, and what decides whether it
   * runs again: retryIf), or a connection a oneConnection scope keeps (`kept` until the scope ends; work it left
   * running then queries as if outside it).
   */
  type Unit = { trx: LazyTransaction<Tables>; committed?: (() => void)[]; ended?: (() => void)[]; retry?: (err: unknown) => boolean; attempt?: number; kept?: boolean; inTransaction?: boolean };
  const current = new AsyncLocalStorage<Unit>();
  /** A transaction begun on the connection a oneConnection scope keeps, so it takes no second one from the pool. */
  async function transactionOnKept<T>(scope: Unit, fn: () => Promise<T>): Promise<T> {
    const { trx } = scope;
    const committed: (() => void)[] = [];
    const ended: (() => void)[] = [];
    let result: T;
    scope.inTransaction = true;
    try {
      await trx.begin();
      try {
        result = await current.run({ trx, committed, ended }, fn);
      } catch (err) {
        await trx.finish(false).catch(() => undefined);
        throw err;
      }
      await trx.finish(true);
    } finally {
      scope.inTransaction = false;
      current.run(scope, () => ended.forEach((callback) => callback()));
    }
    current.run(scope, () => committed.forEach((callback) => callback()));
    return result;
  }
  /** One attempt of a transaction, begun by its first query (lazy-transaction.ts): slow work before it holds no connection. */
  async function runUnit<T>(unit: Unit, fn: () => Promise<T>): Promise<T> {
    let result: T;
    try {
      try {
        result = await current.run(unit, fn);
      } catch (err) {
        await unit.trx.end(false).catch(() => undefined); // the error that matters is fn's
        throw err;
      }
      await unit.trx.end(true);
    } finally {
      current.exit(() => unit.ended!.forEach((callback) => callback()));
    }
    // Outside the transaction's async context, so callbacks that query do not reuse the finished transaction.
    current.exit(() => unit.committed!.forEach((callback) => callback()));
    return result;
  }
  return {
    dialect,
    location,
    postgresUrl,
    get kysely() {
      return current.getStore()?.trx.kysely ?? root;
    },
    async transaction(fn) {
      const store = current.getStore();
      if (store?.committed) return fn();
      // A second transaction at once in the same scope gets a connection of its own, as outside any scope.
      if (store?.kept && !store.inTransaction) return transactionOnKept(store, fn);
      for (let attempt = 1; ; attempt++) {
        const unit: Unit = { trx: databases.open(), committed: [], ended: [], attempt };
        try {
          return await runUnit(unit, fn);
        } catch (err) {
          if (attempt >= TRANSACTION_ATTEMPTS || !unit.retry?.(err)) throw err;
        }
      }
    },
    async oneConnection(fn) {
      if (!pooled || current.getStore()) return fn();
      const scope: Unit = { trx: databases.open({ transaction: false }), kept: true };
      try {
        return await current.run(scope, fn);
      } finally {
        scope.kept = false;
        await scope.trx.end(true);
      }
    },
    prepare(build) {
      return preparedRead(build, {
        root,
        current: () => current.getStore()?.trx.kysely,
        now: direct && databases.now ? (sql, parameters) => databases.now!(() => direct.all(sql, parameters)) : undefined,
      });
    },
    async defer(query, opts) {
      const compiled = 'compile' in query ? query.compile() : query;
      const store = current.getStore();
      if (pooled && store?.committed) return store.trx.defer(compiled, opts);
      await (store?.trx.kysely ?? root).executeQuery(compiled);
    },
    afterCommit(fn) {
      const committed = current.getStore()?.committed;
      if (committed) committed.push(fn);
      else fn();
    },
    afterEnd(fn) {
      const ended = current.getStore()?.ended;
      if (ended) ended.push(fn);
      else fn();
    },
    retryIf(test) {
      const store = current.getStore();
      if (store?.committed) store.retry = test;
      return store?.attempt ?? 1;
    },
    statements: () => statements.stats(),
    ping,
    async close() {
      await root.destroy();
    },
  };
}
