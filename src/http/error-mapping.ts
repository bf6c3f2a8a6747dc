import { errors, isRampartError, RampartError } from '../core/errors.js';
import { ZodError } from 'zod';

export const BODY_LIMIT_BYTES = 2 * 1024 * 1024;

/** Turns anything thrown while serving a request into the one error type, hiding internals of unknown errors. */
export function toRampartError(err: unknown): RampartError {
  if (isRampartError(err)) return err;
  if (err instanceof ZodError) return errors.validation(describeZodError(err));
  const e = err as { code?: string; statusCode?: number; message?: string };
  switch (e?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return errors.payloadTooLarge(BODY_LIMIT_BYTES);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return errors.unsupportedMediaType('unsupported Content-Type; send application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return errors.badRequest('request body is empty but Content-Type is application/json');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return errors.badRequest('request body is not valid JSON');
  }
  if (err instanceof SyntaxError && e.statusCode === 400) return errors.badRequest('request body is not valid JSON');
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new RampartError({ code: 'bad_request', status: e.statusCode, message: e.message ?? 'bad request' });
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
