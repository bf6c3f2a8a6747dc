import { CompiledQuery } from 'kysely';

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
 * The unit of work (lazy-transaction.ts) marks the statement; the pool wrapper (statement-cache.ts) reads the mark
 * and pg-statement.ts writes the messages.
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
