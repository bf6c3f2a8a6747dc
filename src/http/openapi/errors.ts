import type { Surface } from '../dialects.js';
import type { RouteDefinition } from '../route.js';
import type { JsonSchema } from './schemas.js';

/** The error envelope of each surface (src/http/dialects.ts renders them), one component schema per dialect. */
export const errorEnvelopes: Record<Surface, { name: string; schema: JsonSchema }> = {
  overlay: {
    name: 'OverlayError',
    schema: object({ detail: { type: 'string', description: 'What went wrong' } }),
  },
  egress: {
    name: 'EgressError',
    schema: object({ error: { type: 'string', description: 'Human-readable message' } }),
  },
  access: {
    name: 'AccessError',
    schema: object({
      error: { type: 'string', description: 'Machine-readable error code', examples: ['not_found'] },
      detail: { type: 'string', description: 'Human-readable message' },
    }),
  },
  fleet: {
    name: 'FleetError',
    schema: object({
      error: object(
        {
          code: { type: 'string', description: 'Machine-readable error code', examples: ['validation_failed'] },
          fault: { type: 'string', enum: ['client', 'server', 'policy', 'external'] },
          retryable: { type: 'boolean', description: 'Whether the same request may succeed later' },
          human_message: { type: 'string' },
          correlation_id: { type: 'string', description: 'Also returned in the X-Correlation-Id header' },
          details: { type: 'object', additionalProperties: true },
        },
        ['code', 'fault', 'retryable', 'human_message', 'correlation_id'],
      ),
    }),
  },
  edge: {
    name: 'EdgeError',
    schema: object({ error: { type: 'string', description: 'Human-readable message; the status code is authoritative' } }),
  },
};

const descriptions: Record<number, string> = {
  400: 'The request is invalid',
  401: 'Authentication is required',
  403: 'The caller lacks the required permission',
  404: 'Not found',
  409: 'Conflict (an Idempotency-Key reused with a different request, or still in progress)',
  413: 'The request body is too large',
  415: 'The request body is not JSON',
  422: 'The request failed validation',
  429: 'Too many requests; retry after the Retry-After delay',
  500: 'Internal error',
};

/** The error statuses the shared HTTP kit can answer for this route, whatever its handler does. */
export function errorStatusesFor(route: RouteDefinition<any>, pathParams: string[]): number[] {
  const s = route.schema;
  return [
    // Access answers input failing its schema with 422 (dialects.ts surfaceError); malformed JSON stays 400.
    ...(s.params || s.query || s.body || route.idempotency ? (route.surface === 'access' ? [400, 422] : [400]) : []),
    ...(route.permission === 'public' ? [] : route.permission === 'authenticated' ? [401] : [401, 403]),
    ...(pathParams.length ? [404] : []),
    ...(route.idempotency ? [409] : []),
    ...(s.body ? [413, 415] : []),
    ...(route.rateLimit ? [429] : []),
    500,
  ];
}

export function errorResponse(status: number, surface: Surface): JsonSchema {
  return {
    description: descriptions[status] ?? 'Error',
    ...(status === 429 ? { headers: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } } } } : {}),
    content: { 'application/json': { schema: { $ref: `#/components/schemas/${errorEnvelopes[surface].name}` } } },
  };
}

function object(properties: Record<string, JsonSchema>, required = Object.keys(properties).filter((k) => k !== 'details')): JsonSchema {
  return { type: 'object', properties, required };
}
