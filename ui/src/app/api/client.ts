import createClient, { type Middleware } from 'openapi-fetch';
import type { paths as AccessPaths } from './generated/access';
import type { paths as OverlayPaths } from './generated/overlay';
import type { paths as V1Paths } from './generated/v1';
import { apiErrorOf } from './errors';

/** The double-submit CSRF cookie the server sets beside the HttpOnly session cookie; its value goes back in a header. */
export const CSRF_COOKIE = 'rampart_csrf';
export const CSRF_HEADER = 'X-CSRF-Token';
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

export function csrfToken(): string | undefined {
  const match = document.cookie.split('; ').find((c) => c.startsWith(`${CSRF_COOKIE}=`));
  return match ? decodeURIComponent(match.slice(CSRF_COOKIE.length + 1)) : undefined;
}

/** Every write carries the CSRF token; the session itself rides in the HttpOnly cookie, never in script memory. */
const csrf: Middleware = {
  onRequest({ request }) {
    const token = csrfToken();
    if (!SAFE.has(request.method) && token) request.headers.set(CSRF_HEADER, token);
    return request;
  },
};

/** Failed calls throw an ApiError, so TanStack Query's error states see one shape for every surface. */
const throwOnError: Middleware = {
  async onResponse({ response }) {
    if (response.ok) return response;
    const body = await response.clone().json().catch(() => undefined);
    throw apiErrorOf(response.status, body, response.headers.get('x-correlation-id') ?? undefined);
  },
};

function client<Paths extends {}>() {
  const c = createClient<Paths>({ baseUrl: window.location.origin, credentials: 'same-origin' });
  c.use(csrf, throwOnError);
  return c;
}

/** /api/v1: identity, audit, egress (and later fleet, edge). */
export const v1 = client<V1Paths>();
/** /api: the overlay (Nebula Commander) surface. */
export const overlay = client<OverlayPaths>();
/** /v1: the access (ZTNA) surface. */
export const access = client<AccessPaths>();

/** The data of a call that throws on error (see throwOnError): narrows away openapi-fetch's `data | undefined`. */
export async function data<T>(call: Promise<{ data?: T }>): Promise<T> {
  return (await call).data as T;
}

/** A plain-array list and its X-Total-Count (the edge and egress lists page that way). */
export async function dataWithTotal<T>(call: Promise<{ data?: T[]; response: Response }>): Promise<{ items: T[]; total: number }> {
  const { data: items, response } = await call;
  const total = Number(response.headers.get('x-total-count'));
  return { items: items ?? [], total: Number.isFinite(total) && response.headers.has('x-total-count') ? total : (items?.length ?? 0) };
}
