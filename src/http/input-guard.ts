import type { FastifyRequest } from 'fastify';
import { errors } from '../core/errors.js';

/**
 * Characters no store can hold: PostgreSQL's text and jsonb refuse NUL, and a lone UTF-16 surrogate has no UTF-8
 * form (SQLite would store it mangled). Input carrying them is refused at the door, whatever the route, so no
 * such string ever reaches a query.
 */
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The request headers the kit and its authenticator read. */
const HEADERS_READ = ['authorization', 'cookie', 'idempotency-key', 'user-agent', 'host', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host'];

/**
 * In JSON text, NUL and lone surrogates can only arrive escaped (raw control characters are invalid JSON and
 * decoded UTF-8 holds no lone surrogate): text without such an escape parses to storable strings only. A false
 * alarm (an escaped backslash before "u0000") just falls back to walking the parsed value.
 */
const UNSTORABLE_ESCAPE = /\\u(?:0000|d[89a-f])/i;
/** Requests whose JSON body text was scanned whole and holds no unstorable string: their parsed body is not walked. */
const scannedBodies = new WeakSet<FastifyRequest>();

/** Called by the JSON body parser with the text it parses: a 2 MiB policy is scanned once, not string by string. */
export function noteJsonBodyText(req: FastifyRequest, text: string): void {
  if (!text.includes('\u0000') && !UNSTORABLE_ESCAPE.test(text)) scannedBodies.add(req);
}

export function hasUnstorableText(value: string): boolean {
  return UNSTORABLE.test(value);
}

/** Throws a 400 naming where a NUL byte or a lone surrogate was found: path parameters, query, headers or body. */
export function rejectUnstorableInput(req: FastifyRequest): void {
  // Every request is scanned; almost none carry such text, so the cheap scan runs first and paths are built only then.
  const body = !scannedBodies.has(req) && anyUnstorable(req.body);
  if (!anyUnstorable(req.params) && !anyUnstorable(req.query) && !headersUnstorable(req.headers) && !body) return;
  const found =
    locate(req.params, 'path parameters') ??
    locate(req.query, 'query') ??
    locate(pick(req.headers, HEADERS_READ), 'headers') ??
    locate(req.body, 'body');
  if (found) throw errors.validation(`invalid ${found}: contains a NUL byte or an unpaired UTF-16 surrogate`);
}

function headersUnstorable(headers: FastifyRequest['headers']): boolean {
  for (const name of HEADERS_READ) if (headers[name] !== undefined && anyUnstorable(headers[name])) return true;
  return false;
}

/** Whether a parsed value holds an unstorable string anywhere (keys included), without allocating paths. */
function anyUnstorable(root: unknown): boolean {
  if (typeof root === 'string') return UNSTORABLE.test(root);
  if (root === null || typeof root !== 'object') return false;
  const stack: object[] = [root];
  while (stack.length) {
    const value = stack.pop()!;
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      const child = (value as Record<string, unknown>)[key];
      if (UNSTORABLE.test(key) || (typeof child === 'string' && UNSTORABLE.test(child))) return true;
      if (child !== null && typeof child === 'object') stack.push(child);
    }
  }
  return false;
}

function pick(headers: FastifyRequest['headers'], names: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of names) if (headers[name] !== undefined) out[name] = headers[name];
  return out;
}

/**
 * Where in a parsed value (keys included) the first unstorable string is, as "where: a.b.0", or null. Walks with an
 * explicit stack: a 2 MiB body can nest deeper than the call stack goes.
 */
function locate(root: unknown, where: string): string | null {
  const stack: Array<{ value: unknown; path: string }> = [{ value: root, path: '' }];
  while (stack.length) {
    const { value, path } = stack.pop()!;
    if (typeof value === 'string') {
      if (UNSTORABLE.test(value)) return path ? `${where}: ${path}` : where;
    } else if (value !== null && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        const childPath = path ? `${path}.${printable(key)}` : printable(key);
        if (UNSTORABLE.test(key)) return `${where}: ${childPath}`;
        stack.push({ value: child, path: childPath });
      }
    }
  }
  return null;
}

/** A key as it may be echoed in an error message. */
function printable(key: string): string {
  const safe = key.replace(/[\u0000-\u001f\ud800-\udfff]/g, '?');
  return safe.length > 64 ? `${safe.slice(0, 64)}...` : safe;
}
