import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const CORRELATION_HEADER = 'x-correlation-id';
const SANE = /^[A-Za-z0-9._-]{1,128}$/;

/** The client's X-Correlation-Id when it is a sane token, a fresh UUID otherwise. */
export function correlationIdFor(req: IncomingMessage): string {
  const given = req.headers[CORRELATION_HEADER];
  return typeof given === 'string' && SANE.test(given) ? given : randomUUID();
}
