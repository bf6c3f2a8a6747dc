import { sql, type RawBuilder } from 'kysely';
import { errors } from '../../../core/errors.js';

/**
 * Opaque keyset cursors over (time, id), newest first: tie-safe where OpenWatch's bare-timestamp cursor drops rows
 * that share a timestamp. The token is base64url JSON so clients treat it as opaque.
 */
export interface Keyset {
  t: string;
  id: string;
}

export function encodeCursor(key: Keyset): string {
  return Buffer.from(JSON.stringify({ t: key.t, id: key.id })).toString('base64url');
}

export function decodeCursor(cursor: string): Keyset {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof value?.t === 'string' && typeof value?.id === 'string' && !Number.isNaN(Date.parse(value.t))) return value;
  } catch {
    // fall through to the error below
  }
  throw errors.validation('cursor is not valid', { details: { field: 'cursor' } });
}

/** Rows strictly after the cursor in (time desc, id desc) order. */
export function olderThan(timeColumn: string, idColumn: string, key: Keyset): RawBuilder<boolean> {
  const t = sql.ref(timeColumn);
  const id = sql.ref(idColumn);
  return sql<boolean>`(${t} < ${key.t} or (${t} = ${key.t} and ${id} < ${key.id}))`;
}

/** Slices a page fetched with limit + 1 rows: the items and the cursor of the next page (null at the end). */
export function keysetPage<T>(rows: T[], limit: number, keyOf: (row: T) => Keyset): { items: T[]; next_cursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, next_cursor: rows.length > limit && last ? encodeCursor(keyOf(last)) : null };
}
