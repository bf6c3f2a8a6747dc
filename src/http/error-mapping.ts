import { errors, isRampartError, RampartError } from '../core/errors.js';
import type { IncomingMessage } from 'node:http';
import { ZodError } from 'zod';

export const BODY_LIMIT_BYTES = 2 * 1024 * 1024;
/** The longest path parameter the router matches (ids, names, tokens are all far shorter). */
export const MAX_PARAM_LENGTH = 256;
/** How much of a refused body is read and thrown away so its client gets the 413, before the connection is cut. */
const DRAIN_LIMIT_BYTES = 4 * BODY_LIMIT_BYTES;

/** Turns anything thrown while serving a request into the one error type, hiding internals of unknown errors. */
export function toRampartError(err: unknown): RampartError {
  if (isRampartError(err)) return err;
  // The cause travels along so a surface can say more precisely what was wrong (the fleet's validation.* codes).
  if (err instanceof ZodError) return errors.validation(describeZodError(err), { cause: err });
  const e = err as { code?: string; statusCode?: number; message?: string };
  switch (e?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return errors.payloadTooLarge(BODY_LIMIT_BYTES);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return errors.unsupportedMediaType('unsupported Content-Type; send application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return errors.badRequest('request body is empty but Content-Type is application/json', { cause: err });
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return errors.badRequest('request body is not valid JSON', { cause: err });
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return errors.badRequest('request body does not match its Content-Length', { cause: err });
    // The router's messages quote the whole path; these say what is wrong without echoing it.
    case 'FST_ERR_BAD_URL':
      return errors.badRequest('the request path is not valid percent-encoded UTF-8');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new RampartError({ code: 'uri_too_long', status: 414, message: `a path parameter exceeds ${MAX_PARAM_LENGTH} characters` });
  }
  if (err instanceof SyntaxError && e.statusCode === 400) return errors.badRequest('request body is not valid JSON', { cause: err });
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new RampartError({ code: 'bad_request', status: e.statusCode, message: 'the request is malformed' });
  }
  return errors.internal(err);
}

/** "name: Required; port: Too big" — the first few issues, with their paths, in words a client can act on. */
export function describeZodError(err: ZodError, where?: string): string {
  const parts = err.issues.slice(0, 5).map((issue) => {
    const path = issue.path.join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  return (where ? `invalid ${where}: ` : '') + parts.join('; ');
}

/**
 * Reads and discards what is left of a refused request body, so the client, still sending, reads the answer
 * rather than a reset connection. True when the body ended within the bound (the connection can be kept), false
 * when the client sent more than that or went away.
 */
export function drainRejectedBody(raw: IncomingMessage): Promise<boolean> {
  if (raw.complete) return Promise.resolve(true);
  return new Promise((resolve) => {
    let received = 0;
    const done = (ended: boolean) => {
      raw.off('data', onData).off('end', onEnd).off('error', onClose).off('close', onClose);
      resolve(ended);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > DRAIN_LIMIT_BYTES) {
        raw.pause();
        done(false);
      }
    };
    const onEnd = () => done(true);
    const onClose = () => done(raw.complete);
    raw.on('data', onData).on('end', onEnd).on('error', onClose).on('close', onClose);
    raw.resume();
  });
}
