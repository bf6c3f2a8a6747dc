/**
 * The one error type domain code throws. Each API surface renders it in its own envelope (src/http/dialects.ts),
 * so services never know which product's client is calling.
 */
export type Fault = 'client' | 'server' | 'policy' | 'external';

export interface RampartErrorInit {
  code: string;
  status: number;
  message: string;
  fault?: Fault;
  retryable?: boolean;
  details?: Record<string, unknown>;
  headers?: Record<string, string>;
  cause?: unknown;
}

export class RampartError extends Error {
  readonly code: string;
  readonly status: number;
  readonly fault: Fault;
  readonly retryable: boolean;
  readonly details?: Record<string, unknown>;
  /** Response headers the error implies, such as Retry-After or Allow. */
  readonly headers?: Record<string, string>;

  constructor(init: RampartErrorInit) {
    super(init.message, { cause: init.cause });
    this.name = 'RampartError';
    this.code = init.code;
    this.status = init.status;
    this.fault = init.fault ?? (init.status >= 500 ? 'server' : 'client');
    this.retryable = init.retryable ?? (init.status === 429 || init.status === 503);
    this.details = init.details;
    this.headers = init.headers;
  }
}

type Extra = Omit<RampartErrorInit, 'code' | 'status' | 'message'>;

/** Constructors for the errors every surface needs; modules add their own codes with `new RampartError`. */
export const errors = {
  validation: (message: string, extra?: Extra) =>
    new RampartError({ code: 'validation_failed', status: 400, message, ...extra }),
  badRequest: (message: string, extra?: Extra) =>
    new RampartError({ code: 'bad_request', status: 400, message, ...extra }),
  unauthorized: (message = 'authentication required', extra?: Extra) =>
    new RampartError({ code: 'unauthorized', status: 401, message, ...extra }),
  forbidden: (message = 'permission denied', extra?: Extra) =>
    new RampartError({ code: 'forbidden', status: 403, message, fault: 'policy', ...extra }),
  notFound: (message = 'not found', extra?: Extra) =>
    new RampartError({ code: 'not_found', status: 404, message, ...extra }),
  methodNotAllowed: (allowed: string[]) =>
    new RampartError({
      code: 'method_not_allowed',
      status: 405,
      message: `method not allowed; allowed: ${allowed.join(', ')}`,
      headers: { allow: allowed.join(', ') },
    }),
  conflict: (message: string, extra?: Extra) =>
    new RampartError({ code: 'conflict', status: 409, message, ...extra }),
  payloadTooLarge: (limitBytes: number) =>
    new RampartError({ code: 'payload_too_large', status: 413, message: `request body exceeds ${limitBytes} bytes` }),
  unsupportedMediaType: (message: string) =>
    new RampartError({ code: 'unsupported_media_type', status: 415, message }),
  rateLimited: (retryAfterSeconds: number) =>
    new RampartError({
      code: 'rate_limited',
      status: 429,
      message: `too many requests; retry after ${retryAfterSeconds} s`,
      retryable: true,
      headers: { 'retry-after': String(retryAfterSeconds) },
    }),
  internal: (cause?: unknown) =>
    new RampartError({ code: 'internal_error', status: 500, message: 'internal server error', cause }),
  unavailable: (message: string, extra?: Extra) =>
    new RampartError({ code: 'service_unavailable', status: 503, message, retryable: true, ...extra }),
};

export function isRampartError(err: unknown): err is RampartError {
  return err instanceof RampartError;
}
