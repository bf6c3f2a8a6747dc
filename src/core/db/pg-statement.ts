import type pg from 'pg';
import { lazyRequire } from '../lazy-require.js';
import type { Ends } from './pg-pipeline.js';

/**
 * One statement on a node-postgres connection, written as a single buffer, for the statements Rampart runs most.
 *
 * node-postgres's own query object costs tens of microseconds of JavaScript per round trip on top of the socket's
 * (PostgreSQL writes, a certificate create is three round trips): an event emitter and a result per query, the
 * config copied, every protocol message written to the stream on its own, and the result's description asked for
 * and parsed on every execution, with its field parsers built again. This object is handed to `client.query` like
 * any query (the client still sends one query at a time and routes the answer's messages to it), but:
 *
 * - its messages (the transaction's BEGIN and COMMIT with them, pg-pipeline.ts) go out as one buffer, one write;
 * - a named statement the connection has run before is only bound and executed: no Parse, and no Describe, since
 *   its columns are known (`Prepared`). PostgreSQL keeps a prepared statement's result columns for its life: a
 *   schema change that alters them (a column added under `select *`, renamed, retyped) fails the statement with
 *   "cached plan must not change result type" rather than answering in another shape (statement-cache.ts then
 *   replaces the connection), so columns learnt once stay true;
 * - rows are built with the column parsers found when the columns were learnt.
 */

/** A named statement on one connection: prepared, with its result columns once an execution described them. */
export interface Prepared {
  /** A run has prepared it: later ones only bind and execute it. */
  parsed?: boolean;
  /** A run that sent its Parse failed: whether the statement exists is unknown, so the next run closes it first. */
  uncertain?: boolean;
  columns?: Columns;
}

/** A statement's result columns and how to read each (text format); none for a statement that returns no rows. */
interface Columns {
  names: string[];
  /** undefined where the value is kept as the text PostgreSQL sent. */
  parsers: (((text: string) => unknown) | undefined)[];
}

/** What this module gives back, as much of node-postgres's result as Kysely's driver reads. */
export interface StatementResult {
  command: string;
  rowCount: number | null;
  rows: Record<string, unknown>[];
}

interface Field {
  name: string;
  dataTypeID: number;
}

/** node-postgres's connection, as far as a query object writes to it. */
interface PgConnection {
  stream: { write(data: Buffer): boolean; writable?: boolean };
  sendCopyFail(message: string): void;
}

const pgUtils = lazyRequire<{ prepareValue(value: unknown): unknown }>('pg/lib/utils.js');

export interface StatementRun {
  /** The statement's name on the connection (a data statement), or none for an unnamed one. */
  name?: string;
  text: string;
  values: unknown[];
  ends: Ends;
  /** The connection's record of this named statement, created by the caller; updated as the run learns. */
  prepared?: Prepared;
}

/** Runs the statement on the client; `settled` is called once, with its rows once PostgreSQL is ready for the next query. */
export function runStatement(client: pg.PoolClient, run: StatementRun, settled: (err: Error | null, result?: StatementResult) => void): void {
  void client.query(new StatementQuery(run, client, settled) as unknown as pg.QueryConfig);
}

/** The query object node-postgres's client drives: `submit` writes it, the handle* methods receive the answer. */
class StatementQuery {
  /** node-postgres reads the name and text to track parsed statements (its own bookkeeping; ours is `prepared`). */
  readonly name: string | undefined;
  readonly text: string;
  #columns: Columns | undefined;
  /** Sent a Describe: the columns come in this answer (a RowDescription, or none for a statement without rows). */
  #describing = false;
  #sentParse = false;
  #rows: Record<string, unknown>[] = [];
  #command = '';
  #rowCount: number | null = null;
  #rowError: Error | undefined;

  constructor(
    private readonly run: StatementRun,
    private readonly client: pg.PoolClient,
    public callback: (err: Error | null, result?: StatementResult) => void,
  ) {
    this.name = run.name;
    this.text = run.text;
  }

  submit(connection: PgConnection): Error | null {
    const { name = '', text, values, ends, prepared } = this.run;
    const parse = !name || !prepared?.parsed;
    this.#columns = parse ? undefined : prepared.columns;
    this.#describing = !this.#columns;
    this.#sentParse = parse;
    let message: Buffer;
    try {
      message = encode(name, parse ? text : undefined, values, { ...ends, close: Boolean(prepared?.uncertain), describe: this.#describing });
    } catch (err) {
      return err as Error; // nothing written: the client reports it and stays ready
    }
    connection.stream.write(message);
    return null;
  }

  handleRowDescription(msg: { fields: Field[] }): void {
    if (!this.#describing) return;
    this.#columns = {
      names: msg.fields.map((f) => f.name),
      parsers: msg.fields.map((f) => {
        const parser = this.client.getTypeParser(f.dataTypeID, 'text') as (text: string) => unknown;
        return parser === this.client.getTypeParser(TEXT_OID, 'text') ? undefined : parser;
      }),
    };
  }

  handleDataRow(msg: { fields: (string | null)[] }): void {
    if (this.#rowError) return;
    const columns = this.#columns;
    if (!columns || columns.names.length !== msg.fields.length) {
      // Never expected (see the header): better a failed statement than values under the wrong names.
      this.#rowError = new Error(`a row of ${msg.fields.length} columns for a statement described with ${columns?.names.length ?? 'no'} columns`);
      return;
    }
    const { names, parsers } = columns;
    const row: Record<string, unknown> = {};
    try {
      for (let i = 0; i < names.length; i++) {
        const value = msg.fields[i];
        const parser = parsers[i];
        row[names[i]] = value === null ? null : parser ? parser(value) : value;
      }
    } catch (err) {
      this.#rowError = err as Error;
      return;
    }
    this.#rows.push(row);
  }

  handleCommandComplete(msg: { text: string }): void {
    // BEGIN's and COMMIT's completions are not the statement's result.
    if (msg.text === 'BEGIN' || msg.text === 'COMMIT') return;
    const space = msg.text.indexOf(' ');
    this.#command = space < 0 ? msg.text : msg.text.slice(0, space);
    const count = space < 0 ? NaN : Number(msg.text.slice(msg.text.lastIndexOf(' ') + 1));
    this.#rowCount = Number.isNaN(count) ? null : count;
    // Described and no RowDescription came: a statement that returns no rows.
    if (this.#describing && !this.#columns) this.#columns = { names: [], parsers: [] };
  }

  handleReadyForQuery(): void {
    if (this.#rowError) return this.fail(this.#rowError);
    const prepared = this.run.prepared;
    if (prepared) {
      prepared.parsed = true;
      prepared.uncertain = false;
      prepared.columns ??= this.#columns;
    }
    this.callback(null, { command: this.#command, rowCount: this.#rowCount, rows: this.#rows });
  }

  handleError(err: Error): void {
    this.fail(this.#rowError ?? err);
  }

  private fail(err: Error): void {
    const prepared = this.run.prepared;
    if (prepared && this.#sentParse) prepared.uncertain = true;
    this.callback(err);
  }

  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyInResponse(connection: PgConnection): void {
    connection.sendCopyFail('No source stream defined');
  }
  handleCopyData(): void {}
}

/** `text`: its parser keeps the value as sent, as does every type without a parser of its own. */
const TEXT_OID = 25;

// ---- The extended protocol's messages, written into one buffer ----

const SYNC = Buffer.from([0x53, 0, 0, 0, 4]);
const DESCRIBE_PORTAL = Buffer.from([0x44, 0, 0, 0, 6, 0x50, 0]);
const EXECUTE = Buffer.from([0x45, 0, 0, 0, 9, 0, 0, 0, 0, 0]);
/** An unnamed statement's Parse, Bind and Execute, without a Sync (the statement's follows). */
const control = (text: string) => {
  const parse = Buffer.alloc(1 + 4 + 1 + text.length + 1 + 2);
  parse.write('P', 0);
  parse.writeInt32BE(parse.length - 1, 1);
  parse.write(text, 6, 'latin1');
  const bind = Buffer.from([0x42, 0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0]);
  return Buffer.concat([parse, bind, EXECUTE]);
};
const BEGIN = control('begin');
const COMMIT = control('commit');

interface Parts extends Ends {
  close: boolean;
  describe: boolean;
}

/** A parameter as PostgreSQL's text format (or a Buffer, sent binary), as node-postgres prepares values. */
function prepareValue(value: unknown): string | Buffer | null {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'bigint':
    case 'boolean':
      return String(value);
    case 'undefined':
      return null;
    default:
      return value === null ? null : (pgUtils().prepareValue(value) as string | Buffer | null);
  }
}

/** [BEGIN] [Close] [Parse] Bind [Describe] Execute [COMMIT] Sync, as one buffer. */
function encode(name: string, parseText: string | undefined, values: unknown[], parts: Parts): Buffer {
  const prepared = values.map(prepareValue);
  const nameBytes = Buffer.byteLength(name);
  let size = 0;
  if (parts.begin) size += BEGIN.length;
  if (parts.close) size += 1 + 4 + 1 + nameBytes + 1;
  const textBytes = parseText === undefined ? 0 : Buffer.byteLength(parseText);
  if (parseText !== undefined) size += 1 + 4 + nameBytes + 1 + textBytes + 1 + 2;
  // length, portal, statement, format codes, values (each below), one result format code
  let bindSize = 4 + 1 + nameBytes + 1 + 2 + 2 * prepared.length + 2 + 2 + 2;
  const lengths = prepared.map((v) => (v === null ? -1 : typeof v === 'string' ? Buffer.byteLength(v) : v.length));
  for (const length of lengths) bindSize += 4 + Math.max(length, 0);
  size += 1 + bindSize;
  if (parts.describe) size += DESCRIBE_PORTAL.length;
  size += EXECUTE.length;
  if (parts.commit) size += COMMIT.length;
  size += SYNC.length;

  const out = Buffer.allocUnsafe(size);
  let at = 0;
  const copy = (b: Buffer) => (at += b.copy(out, at));
  const cstring = (s: string, bytes: number) => {
    at += out.write(s, at, bytes, 'utf8');
    out[at++] = 0;
  };
  if (parts.begin) copy(BEGIN);
  if (parts.close) {
    out[at++] = 0x43; // Close
    at = out.writeInt32BE(4 + 1 + nameBytes + 1, at);
    out[at++] = 0x53; // a statement
    cstring(name, nameBytes);
  }
  if (parseText !== undefined) {
    out[at++] = 0x50; // Parse
    at = out.writeInt32BE(4 + nameBytes + 1 + textBytes + 1 + 2, at);
    cstring(name, nameBytes);
    cstring(parseText, textBytes);
    at = out.writeInt16BE(0, at); // no parameter types: PostgreSQL infers them
  }
  out[at++] = 0x42; // Bind, to the unnamed portal
  at = out.writeInt32BE(bindSize, at);
  out[at++] = 0;
  cstring(name, nameBytes);
  at = out.writeInt16BE(prepared.length, at);
  for (const v of prepared) at = out.writeInt16BE(v instanceof Buffer ? 1 : 0, at);
  at = out.writeInt16BE(prepared.length, at);
  prepared.forEach((v, i) => {
    at = out.writeInt32BE(lengths[i], at);
    if (typeof v === 'string') at += out.write(v, at, lengths[i], 'utf8');
    else if (v !== null) copy(v);
  });
  at = out.writeInt16BE(1, at); // one result format for every column: text
  at = out.writeInt16BE(0, at);
  if (parts.describe) copy(DESCRIBE_PORTAL);
  copy(EXECUTE);
  if (parts.commit) copy(COMMIT);
  copy(SYNC);
  return out;
}
