import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SESSION_COOKIES } from '../core/identity/identity.types.js';
import { RampartError } from '../core/errors.js';
import type { Principal } from '../core/principal.js';
import { cookiesOf } from './auth.js';

/**
 * Cross-site request forgery protection for browsers that authenticate with the session cookie (the console).
 * Double submit: beside the HttpOnly session cookie the server sets `rampart_csrf`, a random token scripts on the
 * page can read; every unsafe request authenticated by the cookie must send it back in `X-CSRF-Token`. Another site
 * can make the browser send the cookie, but cannot read it to fill in the header. Requests with an Authorization
 * header (bearer tokens, API keys) carry no ambient credential and are not affected.
 */
export const CSRF_COOKIE = 'rampart_csrf';
/** The same token under the name OpenWatch's UI reads (its double-submit cookie); it sends X-CSRF-Token too. */
export const OPENWATCH_CSRF_COOKIE = 'XSRF-TOKEN';
export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const SESSION_COOKIE_NAMES: ReadonlySet<string> = new Set(SESSION_COOKIES);

export function isSessionCookie(name: string): boolean {
  return SESSION_COOKIE_NAMES.has(name);
}

export function newCsrfToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Whether the principal came from the session cookie: no Authorization header, and no stream ticket. */
function cookieAuthenticated(req: FastifyRequest, principal: Principal | null): boolean {
  return principal !== null && !req.headers.authorization && !(req.query as Record<string, unknown> | undefined)?.ticket;
}

/**
 * Refuses (403 csrf_failed) an unsafe, cookie-authenticated request that another site sent: one the browser marks
 * cross-site (Sec-Fetch-Site), one whose Origin is not this host, or one without the double-submit token.
 */
export function assertNotForged(req: FastifyRequest, principal: Principal | null, host: string | undefined): void {
  if (SAFE_METHODS.has(req.method) || !cookieAuthenticated(req, principal)) return;
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') throw forged('the request came from another site');
  const origin = req.headers.origin;
  if (origin !== undefined && !sameHost(origin, host)) throw forged('the request came from another origin');
  const header = req.headers[CSRF_HEADER];
  const cookie = csrfCookieOf(req);
  if (typeof header !== 'string' || !cookie || !sameToken(header, cookie)) {
    throw forged(`a request authenticated by the session cookie must send the ${CSRF_COOKIE} cookie's value in X-CSRF-Token`);
  }
}

/** The token a browser holds: both cookie names carry the same one. */
function csrfCookieOf(req: FastifyRequest): string | undefined {
  const cookies = cookiesOf(req);
  return cookies[CSRF_COOKIE] ?? cookies[OPENWATCH_CSRF_COOKIE];
}

/**
 * A cookie-authenticated browser missing a CSRF cookie (a session older than the console, or than the OpenWatch
 * name) gets both, keeping the token it already holds.
 */
export function ensureCsrfCookie(req: FastifyRequest, reply: FastifyReply, principal: Principal | null, secure: boolean): void {
  if (!cookieAuthenticated(req, principal)) return;
  const cookies = cookiesOf(req);
  if (!cookies[CSRF_COOKIE] || !cookies[OPENWATCH_CSRF_COOKIE]) setCsrfCookie(reply, secure, undefined, csrfCookieOf(req));
}

export function setCsrfCookie(reply: FastifyReply, secure: boolean, maxAgeSeconds?: number, token = newCsrfToken()): void {
  // Readable by the page (that is the point), strict: no other site's navigation carries it.
  const options = { path: '/', httpOnly: false, sameSite: 'strict' as const, secure, ...(maxAgeSeconds !== undefined ? { maxAge: maxAgeSeconds } : {}) };
  reply.setCookie(CSRF_COOKIE, token, options);
  reply.setCookie(OPENWATCH_CSRF_COOKIE, token, options);
}

/** Whether Origin names the host the request was sent to (ports compared as URLs do: :443 on https is no port). */
function sameHost(origin: string, host: string | undefined): boolean {
  try {
    const from = new URL(origin);
    return host !== undefined && from.host === new URL(`${from.protocol}//${host}`).host;
  } catch {
    return false;
  }
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function forged(why: string) {
  return new RampartError({ code: 'csrf_failed', status: 403, message: `cross-site request refused: ${why}`, fault: 'policy' });
}
