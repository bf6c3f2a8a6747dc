import { CompiledQuery } from 'kysely';
import type pg from 'pg';

/**
 * A transaction's BEGIN and COMMIT written with its first and last statements (PostgreSQL): a round trip saved at
 * each end, and row locks released without waiting for Rampart.
 *
 * Sent on their own, BEGIN costs a round trip before a unit's first query, and COMMIT one after its last writes
 * (write-batch.ts), between which those writes' row locks (a network's revision bump, which every node create of
 * the network takes) wait for Rampart's event loop to come round to the answer, under load behind other requests'
 * work. Written in one go (extended protocol: BEGIN, the statement, COMMIT, then one Sync), PostgreSQL runs them
 * back to back. When the statement fails, PostgreSQL skips to the Sync, so the COMMIT does not run and the
 * transaction stays open in its failed state for the caller's ROLLBACK, as if they had been sent one by one.
 *
 * The unit of work (lazy-transaction.ts) marks the statement; the pool wrapper (statement-cache.ts) reads the mark.
 */
export interface Ends {
  /** BEGIN goes out just before the statement. */
  begin?: boolean;
  /** COMMIT goes out just after it. */
  commit?: boolean;
}

const BEGIN_MARK = '/* begin */ ';
const COMMIT_MARK = ' /* then commit */';

/** The statement, marked to go out with its transaction's BEGIN and/or COMMIT. */
export function withEnds(query: CompiledQuery, ends: Ends): CompiledQuery {
  if (!ends.begin && !ends.commit) return query;
  return CompiledQuery.raw(`${ends.begin ? BEGIN_MARK : ''}${query.sql}${ends.commit ? COMMIT_MARK : ''}`, [...query.parameters]);
}

/** A statement's text without its marks, and what they asked for. */
export function readEnds(text: string): { text: string } & Ends {
  const begin = text.startsWith(BEGIN_MARK);
  const commit = text.endsWith(COMMIT_MARK);
  if (!begin && !commit) return { text };
  return { text: text.slice(begin ? BEGIN_MARK.length : 0, commit ? -COMMIT_MARK.length : undefined), begin, commit };
}

/** What node-postgres's connection offers a query object; only what is used here. */
interface PgConnection {
  stream: { cork?: () => void; uncork?: () => void };
  parse(msg: { text: string }): void;
  bind(msg: object): void;
  execute(msg: object): void;
  sync(): void;
}
type Submit = (connection: PgConnection) => Error | null;
/** node-postgres's Query, as far as it is wrapped here. */
interface QueryObject {
  callback: (err: Error | null, result: pg.QueryResult) => void;
  submit: Submit;
  handleCommandComplete(msg: { text: string }, connection: PgConnection): void;
}

/**
 * Runs a statement as node-postgres does (a named prepared statement when given a name), with the transaction's ends
 * written around it. Always the extended protocol, whose messages the ends join: one statement, no multi-statement text.
 */
export function runWithEnds(pgLib: typeof pg, client: pg.PoolClient, config: { name?: string; text: string; values: unknown[] }, ends: Ends): Promise<pg.QueryResult> {
  return new Promise((resolve, reject) => {
    const query = new pgLib.Query({ ...config, queryMode: 'extended' } as pg.QueryConfig) as unknown as QueryObject;
    query.callback = (err, result) => (err ? reject(err) : resolve(result));
    const submit = query.submit.bind(query);
    query.submit = (connection) => {
      connection.stream.cork?.();
      try {
        if (ends.begin) transactionControl(connection, 'begin');
        return submit(ends.commit ? commitBeforeSync(connection) : connection);
      } finally {
        connection.stream.uncork?.();
      }
    };
    // BEGIN's and COMMIT's completions are not the statement's result.
    const completed = query.handleCommandComplete.bind(query);
    query.handleCommandComplete = (msg, connection) => {
      if (msg.text !== 'BEGIN' && msg.text !== 'COMMIT') completed(msg, connection);
    };
    void client.query(query as unknown as pg.QueryConfig);
  });
}

/**
 * The connection, with COMMIT written just before the Sync that ends the query's messages, once the statement's
 * Execute went out: a query that fails before sending it (a value it cannot encode) syncs without committing.
 */
function commitBeforeSync(connection: PgConnection): PgConnection {
  let executed = false;
  return Object.create(connection, {
    execute: { value: (msg: object) => ((executed = true), connection.execute(msg)) },
    sync: { value: () => (executed && transactionControl(connection, 'commit'), connection.sync()) },
  });
}

/** BEGIN or COMMIT as an unnamed statement of the extended protocol (no Sync: the statement's comes after). */
function transactionControl(connection: PgConnection, text: 'begin' | 'commit'): void {
  connection.parse({ text });
  connection.bind({});
  connection.execute({});
}
