import { RampartError } from '../core/errors.js';

/** The five API surfaces, each speaking the dialect of the product it is compatible with. */
export type Surface = 'overlay' | 'egress' | 'access' | 'fleet' | 'edge';

/** Renders an error as the body its surface's clients expect. */
type Renderer = (err: RampartError, correlationId: string) => unknown;

const renderers: Record<Surface, Renderer> = {
  // FastAPI style: {"detail": "..."}
  overlay: (err) => ({ detail: err.message }),
  // {"error": "human-readable message"}
  egress: (err) => ({ error: err.message }),
  // {"error": "error_code", "detail": "..."}
  access: (err) => ({ error: err.code, detail: err.message }),
  // {"error": {code, fault, retryable, human_message, correlation_id}}
  fleet: (err, correlationId) => ({
    error: {
      code: err.code,
      fault: err.fault,
      retryable: err.retryable,
      human_message: err.message,
      correlation_id: correlationId,
      ...(err.details ? { details: err.details } : {}),
    },
  }),
  // The status code is authoritative; the body carries {"error": "..."}.
  edge: (err) => ({ error: err.message }),
};

/**
 * The error as its surface's spec codes it: the access spec answers failed validation with 422 validation_error
 * (the other surfaces keep 400 validation_failed).
 */
export const surfaceError = (surface: Surface, err: RampartError): RampartError => errorForSurface(surface, err);

export function errorForSurface(surface: Surface, err: RampartError): RampartError {
  if (surface !== 'access' || err.code !== 'validation_failed') return err;
  return new RampartError({ code: 'validation_error', status: 422, message: err.message, details: err.details, headers: err.headers, cause: err });
}

export function renderError(surface: Surface, err: RampartError, correlationId: string): unknown {
  return renderers[surface](err, correlationId);
}

/**
 * The surface that owns a path nobody declared, so 404s and 405s answer in the dialect a client of that path
 * expects. /api/v1 is shared by egress, fleet and edge; shared routes use the fleet envelope (DESIGN.md).
 */
export function surfaceForPath(path: string): Surface {
  if (path === '/api/v1' || path.startsWith('/api/v1/')) return 'fleet';
  if (path === '/api' || path.startsWith('/api/')) return 'overlay';
  if (path === '/v1' || path.startsWith('/v1/') || path === '/admin' || path.startsWith('/admin/')) return 'access';
  if (path === '/healthz' || path === '/readyz') return 'access';
  if (path === '/health' || path === '/ready') return 'egress';
  return 'fleet';
}
