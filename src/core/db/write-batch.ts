import { CompiledQuery } from 'kysely';

/**
 * Writes a PostgreSQL transaction holds back and sends together, as one statement, instead of one round trip each.
 *
 * A request's last writes (the certificate row, the audit row, the bus NOTIFY) need nothing back from the database:
 * no RETURNING, and no error the caller turns into an answer. Sent one by one they cost a round trip each, which on
 * a shared machine is mostly the sending and waking on both sides, not the work. Held until the unit's next query
 * or its commit, they go out as one statement of data-modifying CTEs:
 *
 *   with w0 as (insert ...), w1 as (insert ...), s0 as (select pg_notify($7, $8)) select 1 from s0
 *
 * PostgreSQL runs every data-modifying CTE exactly once, whether or not the main query reads it; a plain select in
 * a CTE runs only when read, so those are joined into the main query. The sub-statements share one snapshot, so
 * none sees another's rows: the batch holds only writes that no other write of the same batch depends on reading
 * (foreign keys are checked at the end of the statement and do see them). Any error fails the whole statement and,
 * with it, the transaction, as the first failing write would have.
 */
export interface WriteBatch {
  /** Held until `take`; `untilCommit` ones (a NOTIFY, which only the commit delivers) wait out the unit's queries. */
  add(query: CompiledQuery, opts?: { untilCommit?: boolean }): void;
  /** The statements to send before the unit's next query (none held for commit), or before its commit (all). */
  take(atCommit: boolean): CompiledQuery | undefined;
  /** Drops what is held (the unit rolls back). */
  clear(): void;
  holds(): boolean;
}

export function createWriteBatch(): WriteBatch {
  let beforeNext: CompiledQuery[] = [];
  let beforeCommit: CompiledQuery[] = [];
  return {
    add(query, opts = {}) {
      if (!isBatchable(query.sql)) throw new Error(`write batch: only insert, update, delete and select pg_notify(...) can be held, got: ${query.sql.slice(0, 60)}`);
      (opts.untilCommit ? beforeCommit : beforeNext).push(query);
    },
    take(atCommit) {
      const taken = atCommit ? [...beforeNext, ...beforeCommit] : beforeNext;
      beforeNext = [];
      if (atCommit) beforeCommit = [];
      return combine(taken);
    },
    clear() {
      beforeNext = [];
      beforeCommit = [];
    },
    holds: () => beforeNext.length + beforeCommit.length > 0,
  };
}

/** Each statement text's answer, since the same few statements are held over and over. */
const batchable = new Map<string, boolean>();
/** Writes without RETURNING, and selects of pg_notify alone: what a batch can send without reading anything back. */
function isBatchable(text: string): boolean {
  let known = batchable.get(text);
  if (known === undefined) {
    if (batchable.size >= MAX_REMEMBERED) batchable.clear();
    batchable.set(text, (known = readsNothingBack(text)));
  }
  return known;
}

function readsNothingBack(text: string): boolean {
  if (/^\s*select\s+pg_notify\s*\(/i.test(text)) return true;
  return /^\s*(insert|update|delete)\b/i.test(text) && !/\breturning\b/i.test(text);
}

/** One statement running every query given, in order; a single query runs as it is. */
export function combine(queries: CompiledQuery[]): CompiledQuery | undefined {
  if (queries.length <= 1) return queries[0];
  const parameters: unknown[] = [];
  const ctes: string[] = [];
  const selects: string[] = [];
  queries.forEach((query, i) => {
    const text = renumbered(query.sql, parameters.length);
    parameters.push(...query.parameters);
    const isSelect = /^\s*select\b/i.test(text);
    const name = isSelect ? `s${i}` : `w${i}`;
    ctes.push(`${name} as (${text})`);
    if (isSelect) selects.push(name);
  });
  const main = selects.length ? `select 1 from ${selects.join(', ')}` : 'select 1';
  return CompiledQuery.raw(`with ${ctes.join(', ')} ${main}`, parameters);
}

/**
 * The statement with each placeholder $n moved up by `offset`, leaving quoted strings and identifiers alone
 * (Kysely quotes every identifier, and a `$` inside quotes is text, not a placeholder).
 */
export function renumbered(text: string, offset: number): string {
  if (offset === 0) return text;
  let byOffset = renumberedTexts.get(text);
  if (!byOffset) {
    if (renumberedTexts.size >= MAX_REMEMBERED) renumberedTexts.clear();
    renumberedTexts.set(text, (byOffset = new Map()));
  }
  let moved = byOffset.get(offset);
  if (moved === undefined) byOffset.set(offset, (moved = renumber(text, offset)));
  return moved;
}

/** Texts moved before, by text and offset: a request's held writes are the same statements at the same places. */
const renumberedTexts = new Map<string, Map<number, string>>();
const MAX_REMEMBERED = 2000;

function renumber(text: string, offset: number): string {
  let out = '';
  let at = 0;
  while (at < text.length) {
    const char = text[at];
    if (char === "'" || char === '"') {
      const end = closingQuote(text, at);
      out += text.slice(at, end);
      at = end;
    } else if (char === '$' && /\d/.test(text[at + 1] ?? '')) {
      let end = at + 1;
      while (end < text.length && /\d/.test(text[end])) end++;
      out += `$${Number(text.slice(at + 1, end)) + offset}`;
      at = end;
    } else {
      out += char;
      at++;
    }
  }
  return out;
}

/** Index just past the quote that closes the one at `start` (a doubled quote is an escaped one). */
function closingQuote(text: string, start: number): number {
  const quote = text[start];
  let at = start + 1;
  while (at < text.length) {
    if (text[at] === quote) {
      if (text[at + 1] === quote) at += 2;
      else return at + 1;
    } else at++;
  }
  return text.length;
}
