import type { RouteContext } from './route.js';

/** One entity tag of a list: optional W/, then a quoted tag, or a bare token (clients that strip the quotes). */
const TAG = /[\s,]*(W\/)?("[^"]*"|[^,\s]+)\s*(?:,|$)/gy;

/** The opaque part of a tag, quotes and weakness removed: what the weak comparison of RFC 9110 §8.8.3.2 compares. */
const opaque = (tag: string) => tag.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1');

/**
 * Whether an If-None-Match header matches the current tag (RFC 9110 §13.1.2): `*`, or any tag of its
 * comma-separated list under the weak comparison. Bare tags count too: Nebula Commander's client strips the
 * quotes off the ETag it got before sending it back.
 */
export function ifNoneMatchHits(header: string | string[] | undefined, etag: string): boolean {
  // The common case first: a poller sends back the very tag it got, and that needs no parsing.
  if (header === etag) return true;
  // The next most common: the same tag bare (ncclient strips the quotes), compared without parsing the header.
  if (typeof header === 'string' && isBareOf(header, etag)) return true;
  const value = Array.isArray(header) ? header.join(',') : header;
  if (!value?.trim()) return false;
  if (value.trim() === '*') return true;
  const wanted = opaque(etag);
  TAG.lastIndex = 0;
  for (let m = TAG.exec(value); m; m = TAG.exec(value)) {
    if (m[2] === '*' || opaque(m[2]) === wanted) return true;
  }
  return false;
}

/** Whether header is exactly the opaque part of a strong quoted etag, as one bare tag (no list, no spaces). */
function isBareOf(header: string, etag: string): boolean {
  return (
    header.length === etag.length - 2 && etag.charCodeAt(0) === 34 && etag.charCodeAt(etag.length - 1) === 34 &&
    etag.startsWith(header, 1) && !/[\s,"]/.test(header)
  );
}

/**
 * Serves a body under its ETag: sets the header, and answers 304 with no body when the request's If-None-Match
 * already names it. Handlers return what this returns.
 */
export function withEtag<T>(ctx: RouteContext<any>, etag: string, body: T): T | undefined {
  ctx.reply.header('etag', etag);
  if (!ifNoneMatchHits(ctx.headers['if-none-match'], etag)) return body;
  ctx.reply.status(304);
  return undefined;
}
