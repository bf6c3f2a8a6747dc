import { CSRF_HEADER, csrfToken } from '../../app/api/client';
import { apiErrorOf } from '../../app/api/errors';
import type { Paged } from './model';

export type QueryValue = string | number | boolean | undefined | null;

/** The path with its query; empty filters are left out, so "all" is the absence of a filter. */
export function withQuery(path: string, query?: Record<string, QueryValue>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/**
 * One call to the access surface (/v1) with the session cookie and, on writes, the CSRF header; a failure throws the
 * console's ApiError (the access envelope {"error": code, "detail": text}). The access admin routes are built in
 * parallel with these pages, so the calls are written against docs/access.md's paths rather than the generated
 * client; the shapes they read are in model.ts.
 */
export async function call<T>(method: 'GET' | 'POST' | 'DELETE', path: string, opts: { query?: Record<string, QueryValue>; body?: unknown } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const token = csrfToken();
  if (method !== 'GET' && token) headers[CSRF_HEADER] = token;
  const res = await fetch(withQuery(path, opts.query), { method, headers, credentials: 'same-origin', body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  const body = res.status === 204 ? undefined : await res.json().catch(() => undefined);
  if (!res.ok) throw apiErrorOf(res.status, body, res.headers.get('x-correlation-id') ?? undefined);
  return body as T;
}

/** A list answer as a page: a bare array, {items}, or {<name>: [...]} (with total / next_cursor when given). */
export function asPage<T>(body: unknown, name: string): Paged<T> {
  if (Array.isArray(body)) return { items: body as T[] };
  const b = (body ?? {}) as Record<string, unknown>;
  const items = (Array.isArray(b.items) ? b.items : Array.isArray(b[name]) ? b[name] : []) as T[];
  const total = typeof b.total === 'number' ? b.total : undefined;
  const next = typeof b.next_cursor === 'string' ? b.next_cursor : null;
  return { items, total, next_cursor: next };
}
