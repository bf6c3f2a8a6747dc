/** A failed API call, whatever surface answered: the status, a readable message and the details the server gave. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | undefined,
    readonly details: Record<string, unknown> | undefined,
    readonly correlationId: string | undefined,
  ) {
    super(message);
  }
}

/**
 * Reads any of Rampart's five error envelopes: overlay {detail}, egress/edge {error: "..."}, access
 * {error: code, detail}, fleet {error: {code, human_message, details}}.
 */
export function apiErrorOf(status: number, body: unknown, correlationId?: string): ApiError {
  const b = (body ?? {}) as Record<string, any>;
  if (b.error && typeof b.error === 'object') {
    const e = b.error as Record<string, any>;
    return new ApiError(status, e.human_message ?? e.message ?? e.code ?? `HTTP ${status}`, e.code, e.details, correlationId ?? e.correlation_id);
  }
  const detail = typeof b.detail === 'string' ? b.detail : Array.isArray(b.detail) ? b.detail.map((d: any) => d.msg ?? String(d)).join('; ') : undefined;
  const code = typeof b.error === 'string' ? b.error : undefined;
  return new ApiError(status, detail ?? code ?? `HTTP ${status}`, detail && code ? code : undefined, undefined, correlationId);
}
