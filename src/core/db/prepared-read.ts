import { CompiledQuery, type Compilable, type Kysely } from 'kysely';
import type { Tables } from './tables.js';

/**
 * Reads on the hottest paths (an authenticated request's profile, a device poll) built and compiled once.
 *
 * Kysely builds an immutable query tree and compiles it to SQL on every call; on a one-row read by key that cost
 * more than SQLite's own work. A prepared read builds its query once with a placeholder per argument, finds where
 * each placeholder landed among the compiled parameters, and from then on only substitutes values. The SQL text
 * is the same on every call, so the statement cache (statement-cache.ts) reuses its prepared statement.
 *
 * On SQLite, outside a unit of work and with the connection free, the statement runs at once (better-sqlite3 is
 * synchronous) without Kysely's acquire and release and their promises; otherwise the read goes through Kysely's
 * executor like any query, so it joins the current transaction or waits its turn for the connection.
 */
export interface DirectStatements {
  all(sql: string, parameters: readonly unknown[]): unknown[];
}

export interface PreparedReadDeps {
  root: Kysely<Tables>;
  /** The current unit of work's handle, if any. */
  current(): Kysely<Tables> | undefined;
  /** SQLite: runs the statement now, or undefined when the connection is busy. */
  now?: (sql: string, parameters: readonly unknown[]) => { value: unknown[] } | undefined;
}

const PLACEHOLDER = '\u0000rampart.prepared.';

export function preparedRead<A extends unknown[], R>(build: (db: Kysely<Tables>, ...args: A) => Compilable<R>, deps: PreparedReadDeps): (...args: A) => Promise<R[]> {
  let compiled: CompiledQuery<R> | undefined;
  /** For each compiled parameter: the argument it takes (its index), or -1 for a constant the query holds. */
  let slots: number[] = [];

  function compile(arity: number): CompiledQuery<R> {
    const placeholders = Array.from({ length: arity }, (_, i) => `${PLACEHOLDER}${i}`);
    const query = build(deps.root, ...(placeholders as unknown as A)).compile();
    slots = query.parameters.map((p) => (typeof p === 'string' && p.startsWith(PLACEHOLDER) ? Number(p.slice(PLACEHOLDER.length)) : -1));
    for (let i = 0; i < arity; i++) {
      if (!slots.includes(i)) throw new Error(`prepared read: argument ${i} is not a parameter of its query (only scalar values can be bound)`);
    }
    return query;
  }

  return (...args: A): Promise<R[]> => {
    if (!compiled) {
      try {
        compiled = compile(args.length);
      } catch (err) {
        return Promise.reject(err);
      }
    }
    const constants = compiled.parameters;
    const parameters = slots.map((slot, i) => (slot < 0 ? constants[i] : args[slot]));
    const unit = deps.current();
    if (!unit && deps.now) {
      const ran = deps.now(compiled.sql, parameters);
      if (ran) return Promise.resolve(ran.value as R[]);
    }
    const query = CompiledQuery.raw(compiled.sql, parameters) as CompiledQuery<R>;
    return (unit ?? deps.root).executeQuery(query).then((result) => result.rows);
  };
}
