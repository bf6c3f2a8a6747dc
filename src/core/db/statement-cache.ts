import { createHash } from 'node:crypto';
import type { Database as SqliteConnection, Statement } from 'better-sqlite3';
import type { SqliteDatabase, PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';
import { readEnds } from './pg-pipeline.js';
import { runStatement, type Prepared } from './pg-statement.js';

/**
 * Prepared statements reused by SQL text, under Kysely's drivers, so every query of every module gets them.
 *
 * SQLite: better-sqlite3 compiles a statement on every `prepare` (Kysely calls it for each query), which cost as much
 * as the query itself on a hot read. Statements are kept in a least-recently-used map keyed by their SQL text.
 * PostgreSQL: each query is sent as a named prepared statement (named by a hash of its text), so a connection that
 * has run it once only binds and executes it; the server skips parsing and planning from scratch.
 */
export interface StatementStats {
  /** Statements compiled (SQLite) or parsed on a connection (PostgreSQL) since the database opened: cache misses. */
  prepares: number;
  /** Statements held now (SQLite: in the cache; PostgreSQL: summed over the pool's connections). */
  cached: number;
}

export interface StatementCache {
  stats(): StatementStats;
}

/** Enough for every distinct query the modules issue; more only with variable-length lists (`in (...)`). */
export const DEFAULT_MAX_STATEMENTS = 1000;

/** A better-sqlite3 connection whose `prepare` answers from the cache, shaped as Kysely's dialect wants it. */
export function cachedSqlite(sqlite: SqliteConnection, max = DEFAULT_MAX_STATEMENTS): SqliteDatabase & StatementCache {
  const statements = new Map<string, Statement>();
  let prepares = 0;
  return {
    prepare(sql: string) {
      let statement = statements.get(sql);
      if (statement) {
        statements.delete(sql); // re-inserted below: Map order is recency order
      } else {
        statement = sqlite.prepare(sql);
        prepares++;
        if (statements.size >= max) statements.delete(statements.keys().next().value!);
      }
      statements.set(sql, statement);
      return statement;
    },
    close: () => void sqlite.close(),
    stats: () => ({ prepares, cached: statements.size }),
  };
}

/**
 * A pg pool whose clients run data statements as named prepared statements (pg-statement.ts: bound and executed
 * without a Parse or a Describe once the connection knows them). A connection keeps at most `max` of them: one that
 * reaches the bound is closed when it goes back to the pool (and the pool opens a fresh one), which frees its
 * statements on the server without a DEALLOCATE that could land inside a transaction.
 *
 * A connection runs one statement at a time: queries a unit of work starts together (Promise.all) wait their turn
 * here, so node-postgres is never handed a query while it runs another (deprecated, and gone in pg 9).
 */
export function cachedPostgresPool(pool: pg.Pool, max = DEFAULT_MAX_STATEMENTS): PostgresPool & StatementCache {
  /** Each open connection's wrapper and the statements it has prepared. */
  const connections = new Map<pg.PoolClient, { client: PostgresPoolClient; named: Map<string, Prepared> }>();
  // Closed connections (idle timeout, errors, the bound below) take their statements with them.
  pool.on('remove', (client) => connections.delete(client));
  let prepares = 0;
  const wrap = (client: pg.PoolClient) => {
    const named = new Map<string, Prepared>();
    const turn = oneAtATime();
    /** Set when the schema changed under a prepared statement (another node migrated): the connection is replaced. */
    let stale = false;
    const run = (marked: unknown, values: unknown[] | undefined, settle: (err: Error | null, result?: unknown) => void): void => {
      if (typeof marked !== 'string' || !values) {
        const ran = client.query(marked as string, values) as unknown;
        if (ran instanceof Promise) ran.then((r) => settle(null, r), settle);
        else settle(null, ran); // a query object of its own (a cursor), which its caller reads from
        return;
      }
      const { text, ...ends } = readEnds(marked);
      if (!isDataStatement(text)) {
        if (ends.begin || ends.commit) runStatement(client, { text, values, ends }, settle);
        else client.query(text, values).then((r) => settle(null, r), settle);
        return;
      }
      const name = statementName(text);
      let prepared = named.get(name);
      if (!prepared) {
        named.set(name, (prepared = {}));
        prepares++;
      }
      runStatement(client, { name, text, values, ends, prepared }, (err, result) => {
        if (err) stale ||= isStalePlan(err);
        settle(err, result);
      });
    };
    const wrapper = {
      query: (marked: unknown, values?: unknown[]) =>
        new Promise((resolve, reject) =>
          turn((done) => {
            const settle = (err: Error | null, result?: unknown) => {
              done(); // the next statement goes out before this one's caller resumes
              if (err) reject(err);
              else resolve(result);
            };
            try {
              run(marked, values, settle);
            } catch (err) {
              settle(err as Error);
            }
          }),
        ),
      release: () => client.release(stale || named.size >= max || undefined),
    } as unknown as PostgresPoolClient;
    return { client: wrapper, named };
  };
  return {
    async connect() {
      const client = await pool.connect();
      let ours = connections.get(client);
      if (!ours) connections.set(client, (ours = wrap(client)));
      return ours.client;
    },
    end: () => pool.end(),
    stats: () => ({ prepares, cached: [...connections.values()].reduce((sum, { named }) => sum + named.size, 0) }),
  };
}

/** Starts statements one after another, in the order given: each once the one before called its `done`. */
function oneAtATime(): (start: (done: () => void) => void) => void {
  let busy = false;
  const waiting: (() => void)[] = [];
  const done = () => {
    const next = waiting.shift();
    if (next) next();
    else busy = false;
  };
  return (start) => {
    if (busy) return void waiting.push(() => start(done));
    busy = true;
    start(done);
  };
}

/**
 * PostgreSQL refuses to run a prepared statement whose result columns changed since it was prepared (a `select *`
 * after a migration added a column), on every later call on that connection.
 */
function isStalePlan(err: unknown): boolean {
  return (err as { code?: string } | null)?.code === '0A000' && /cached plan must not change result type/.test((err as Error).message);
}

/** Queries and writes; transaction control and schema changes (migrations) run as they are. */
function isDataStatement(text: string): boolean {
  return /^\s*(select|insert|update|delete|with)\b/i.test(text);
}

const names = new Map<string, string>();
/** A stable name per SQL text: the same on every connection, and never one name for two texts. */
function statementName(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `r_${createHash('sha256').update(text).digest('base64url').slice(0, 24)}`;
    if (names.size >= DEFAULT_MAX_STATEMENTS * 4) names.clear();
    names.set(text, name);
  }
  return name;
}
