import { errors } from '../../../core/errors.js';

/** Where a newest-first list stopped: the last row's time and id, so rows sharing a timestamp are neither lost nor repeated. */
export interface Keyset {
  at: string;
  id: string;
}

export function encodeCursor(key: Keyset): string {
  return Buffer.from(`${key.at}|${key.id}`).toString('base64url');
}

/**
 * Reads an opaque cursor, or a bare RFC 3339 time as OpenWatch's UI sends it (rows strictly older than it).
 * Anything else is a 400.
 */
export function decodeCursor(cursor: string): Keyset {
  if (!Number.isNaN(Date.parse(cursor)) && /^\d{4}-\d{2}-\d{2}T/.test(cursor)) {
    return { at: new Date(cursor).toISOString(), id: '' };
  }
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (!at || id === undefined || Number.isNaN(Date.parse(at))) throw errors.validation('cursor is not one this server issued', { details: { field: 'cursor' } });
  return { at, id };
}
