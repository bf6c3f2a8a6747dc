import { Kysely, type CompiledQuery, type DatabaseConnection, type Dialect, type Driver, type QueryResult, type TransactionSettings } from 'kysely';
import { createFifoQueue } from '../fifo-queue.js';
import type { Ends } from './pg-pipeline.js';
import { createWriteBatch, type WriteBatch } from './write-batch.js';

type WithEnds = (query: CompiledQuery, ends: Ends) => CompiledQuery;

/**
 * Transactions that begin at their first query rather than when the unit of work opens.
 *
 * An audited route runs its whole handler as one unit of work, and handlers do slow work before they write
 * (an argon2id hash takes tens of milliseconds, far more on a busy machine). A transaction begun up front holds
 * SQLite's one connection (every other request's queries wait behind it) or one of PostgreSQL's few pooled
 * connections for all that time; begun at the first query, it is held only while the unit talks to the database.
 *
 * With `oneConnection` (SQLite) the connection is handed out first come, first served: Kysely's own lock wakes
 * every waiter on each release and lets a newcomer overtake them, so under load some requests waited for seconds.
 */
export interface LazyTransactions<DB> {
  /** The pool (or SQLite's single connection), one query at a time. */
  root: Kysely<DB>;
  /**
   * A handle whose first query takes a connection of its own, held until `end`, and begins the transaction there;
   * with `transaction: false` the connection is only kept (each statement commits alone) until `begin` is called.
   */
  open(opts?: { transaction?: boolean }): LazyTransaction<DB>;
  /**
   * SQLite only: runs fn (synchronous, on the one connection) now if the connection is free and nobody waits for
   * it, without Kysely's acquire and release; undefined when it is busy (the caller queries the usual way).
   */
  now?<T>(fn: () => T): { value: T } | undefined;
}

export interface LazyTransaction<DB> {
  kysely: Kysely<DB>;
  /** Commits (or rolls back) and releases the connection; nothing to do when no query ran. */
  end(commit: boolean): Promise<void>;
  /** On a handle opened without a transaction: begins one on its connection, ended by `finish`. */
  begin(): Promise<void>;
  finish(commit: boolean): Promise<void>;
  /**
   * Holds a write (no RETURNING) until the unit's next query or its commit, and sends every write held by then as
   * one statement (write-batch.ts); `untilCommit` ones wait for the commit. Only inside a transaction.
   */
  defer(query: CompiledQuery, opts?: { untilCommit?: boolean }): void;
}

/**
 * `oneConnection`: SQLite's single connection, handed out in turn. `withEnds`: marks a statement to go out with its
 * transaction's BEGIN or COMMIT, a round trip saved at each end (PostgreSQL, pg-pipeline.ts).
 */
export function lazyTransactions<DB>(dialect: Dialect, opts: { oneConnection?: boolean; withEnds?: WithEnds } = {}): LazyTransactions<DB> {
  // One driver for the pool and every transaction, so SQLite keeps a single connection behind a single lock.
  const inner = dialect.createDriver();
  let initialised: Promise<void> | undefined;
  const init = () => (initialised ??= inner.init());
  const turn = opts.oneConnection ? createFifoQueue(1) : undefined;
  const using = (driver: Driver): Dialect => ({
    createAdapter: () => dialect.createAdapter(),
    createDriver: () => driver,
    createIntrospector: (db) => dialect.createIntrospector(db),
    createQueryCompiler: () => dialect.createQueryCompiler(),
  });
  const shared: Driver = {
    init,
    async acquireConnection() {
      await init();
      await turn?.acquire();
      return inner.acquireConnection();
    },
    beginTransaction: (connection, settings) => inner.beginTransaction(connection, settings),
    commitTransaction: (connection) => inner.commitTransaction(connection),
    rollbackTransaction: (connection) => inner.rollbackTransaction(connection),
    async releaseConnection(connection) {
      await inner.releaseConnection(connection);
      turn?.release();
    },
    destroy: () => inner.destroy(),
  };
  return {
    root: new Kysely<DB>({ dialect: using(shared) }),
    ...(turn
      ? {
          now<T>(fn: () => T) {
            if (!turn.tryAcquire()) return undefined;
            try {
              return { value: fn() };
            } finally {
              turn.release();
            }
          },
        }
      : {}),
    open(unitOpts = {}) {
      const unit = new UnitDriver(shared, unitOpts.transaction ?? true, opts.withEnds);
      return {
        kysely: new Kysely<DB>({ dialect: using(unit) }),
        end: (commit) => unit.end(commit),
        begin: () => unit.beginLater(),
        finish: (commit) => unit.finishLater(commit),
        defer: (query, deferOpts) => unit.defer(query, deferOpts),
      };
    },
  };
}

/** Hands every query of one unit the same connection, inside a transaction begun by the first of them. */
class UnitDriver implements Driver {
  #connection: Promise<DatabaseConnection> | undefined;
  #ended = false;
  /** Connections handed out after the end, each released by its query. */
  #lent = 0;
  /** Writes held back to go out together (write-batch.ts), sent before the next query or the commit. */
  readonly #batch: WriteBatch = createWriteBatch();
  #batched: Promise<DatabaseConnection> | undefined;
  /** With `withEnds`: the transaction's BEGIN waits to go out with its first statement. */
  #beginPending = false;

  /**
   * The database's shared driver: its acquire waits for init and, on SQLite, for the connection's turn.
   * `transactional`: the first query begins the transaction; else the connection is kept without one.
   */
  constructor(
    private readonly inner: Driver,
    private readonly transactional: boolean,
    private readonly withEnds?: WithEnds,
  ) {}

  async init(): Promise<void> {}

  acquireConnection(): Promise<DatabaseConnection> {
    // Work the unit left running after it ended queries as if outside it, one statement at a time.
    if (this.#ended) {
      this.#lent++;
      return this.inner.acquireConnection();
    }
    return (this.#batched ??= (this.#connection ??= this.begin()).then((connection) => this.flushingFirst(connection)));
  }

  defer(query: CompiledQuery, opts?: { untilCommit?: boolean }): void {
    if (this.#ended) throw new Error('a unit of work cannot hold a write after it ended');
    this.#batch.add(query, opts);
  }

  /** The unit's connection, sending the writes held so far before each query it runs. */
  private flushingFirst(connection: DatabaseConnection): DatabaseConnection {
    const batch = this.#batch;
    const unit = this;
    return {
      async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
        const held = batch.take(false);
        if (held) await unit.run(connection, held);
        return unit.run<R>(connection, query);
      },
      async *streamQuery<R>(query: CompiledQuery, chunkSize?: number) {
        const held = batch.take(false);
        if (held) await unit.run(connection, held);
        if (unit.#beginPending) await unit.beginNow(connection);
        yield* connection.streamQuery<R>(query, chunkSize);
      },
    };
  }

  /** Runs a statement of the unit, with the transaction's BEGIN when it has not gone out yet and COMMIT if asked. */
  private run<R>(connection: DatabaseConnection, query: CompiledQuery, commit = false): Promise<QueryResult<R>> {
    const begin = this.#beginPending;
    this.#beginPending = false;
    return connection.executeQuery<R>(this.withEnds && (begin || commit) ? this.withEnds(query, { begin, commit }) : query);
  }

  private async beginNow(connection: DatabaseConnection): Promise<void> {
    this.#beginPending = false;
    await this.inner.beginTransaction(connection, {});
  }

  private async begin(): Promise<DatabaseConnection> {
    const connection = await this.inner.acquireConnection();
    if (!this.transactional) return connection;
    if (this.withEnds) {
      this.#beginPending = true;
      return connection;
    }
    try {
      await this.inner.beginTransaction(connection, {});
    } catch (err) {
      await this.inner.releaseConnection(connection);
      throw err;
    }
    return connection;
  }

  async beginTransaction(_connection: DatabaseConnection, _settings: TransactionSettings): Promise<void> {
    throw new Error('a unit of work is a transaction already; nested units join it');
  }

  async commitTransaction(): Promise<void> {}
  async rollbackTransaction(): Promise<void> {}
  /** The unit's connection is kept until it ends. */
  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    if (this.#lent === 0) return;
    this.#lent--;
    await this.inner.releaseConnection(connection);
  }
  async destroy(): Promise<void> {}

  async end(commit: boolean): Promise<void> {
    this.#ended = true;
    // Writes held with no query run yet still need their transaction.
    if (!this.#connection && commit && this.transactional && this.#batch.holds()) this.#connection = this.begin();
    if (!this.#connection) return;
    let connection: DatabaseConnection;
    try {
      connection = await this.#connection;
    } catch {
      return; // never began: nothing held
    }
    try {
      if (this.transactional) await this.settle(connection, commit);
    } finally {
      await this.inner.releaseConnection(connection);
    }
  }

  /** A transaction on the kept connection of a unit opened without one (taken now if no query ran yet). */
  async beginLater(): Promise<void> {
    await this.inner.beginTransaction(await (this.#connection ??= this.begin()), {});
  }

  async finishLater(commit: boolean): Promise<void> {
    await this.settle(await this.#connection!, commit);
  }

  private async settle(connection: DatabaseConnection, commit: boolean): Promise<void> {
    const held = commit ? this.#batch.take(true) : undefined;
    this.#batch.clear();
    try {
      if (held && this.withEnds) {
        await this.run(connection, held, true); // the last writes and the commit in one round trip
      } else if (this.#beginPending) {
        this.#beginPending = false; // no statement went out, so no transaction began
      } else {
        if (held) await connection.executeQuery(held);
        if (commit) await this.inner.commitTransaction(connection);
        else await this.inner.rollbackTransaction(connection);
      }
    } catch (err) {
      if (commit) await this.inner.rollbackTransaction(connection).catch(() => undefined);
      throw err;
    }
  }
}
