import type { Paged } from './model';

/**
 * A list answer as a page: {items, next_cursor} (the access lists), a bare array, or {<name>: [...]}. The routes
 * without a response schema are typed `unknown` in the generated client; this is where their answers get a shape.
 */
export function asPage<T>(body: unknown, name: string): Paged<T> {
  if (Array.isArray(body)) return { items: body as T[] };
  const b = (body ?? {}) as Record<string, unknown>;
  const items = (Array.isArray(b.items) ? b.items : Array.isArray(b[name]) ? b[name] : []) as T[];
  const total = typeof b.total === 'number' ? b.total : undefined;
  const next = typeof b.next_cursor === 'string' ? b.next_cursor : null;
  return { items, total, next_cursor: next };
}
