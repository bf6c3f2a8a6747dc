import { sql, type RawBuilder } from 'kysely';
import { z } from 'zod';
import { errors } from '../../../core/errors.js';

/**
 * Keyset pagination of the access lists (?limit 1-200, default 50, &cursor): newest first over (created_at, id),
 * so rows sharing a timestamp are neither skipped nor repeated. The cursor is opaque base64url JSON.
 */
export const pageQueryFields = {
  limit: z.string().regex(/^\d{1,3}$/, 'limit must be a whole number').transform(Number).pipe(z.number().int().min(1).max(200)).optional(),
  cursor: z.string().max(200).optional(),
};

interface Key {
  t: string;
  id: string;
}

export function decodeCursor(cursor: string): Key {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof value?.t === 'string' && typeof value?.id === 'string' && !Number.isNaN(Date.parse(value.t))) return value;
  } catch {
    // answered below
  }
  throw errors.validation('cursor is not valid');
}

/** Rows after the cursor in (created_at desc, id desc) order. */
export function afterCursor(table: string, cursor: string): RawBuilder<boolean> {
  const key = decodeCursor(cursor);
  const t = sql.ref(`${table}.created_at`);
  const id = sql.ref(`${table}.id`);
  return sql<boolean>`(${t} < ${key.t} or (${t} = ${key.t} and ${id} < ${key.id}))`;
}

/** Slices rows fetched with limit + 1: the page and the next cursor (null at the end). */
export function pageOf<T extends { created_at: string; id: string }>(rows: T[], limit: number): { items: T[]; next_cursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  const next = rows.length > limit && last ? Buffer.from(JSON.stringify({ t: last.created_at, id: last.id })).toString('base64url') : null;
  return { items, next_cursor: next };
}
