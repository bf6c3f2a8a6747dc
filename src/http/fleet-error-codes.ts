import { ZodError } from 'zod';
import type { RampartError } from '../core/errors.js';
import { BODY_LIMIT_BYTES } from './error-mapping.js';

/**
 * The fleet surface speaks OpenWatch's error codes (its api/error_codes.yaml, as its handlers emit them) where
 * Rampart's generic ones differ: a client of OpenWatch branches on `validation.field_required`, `authz.permission_denied`
 * or `auth.required` (its UI signs the user out on that one), not on `validation_failed` / `forbidden` /
 * `unauthorized`. Domain codes (hosts.not_found, conflict.scan_active ...) are already OpenWatch's and pass through.
 */
export interface FleetCode {
  code: string;
  details?: Record<string, unknown>;
}

type Issue = ZodError['issues'][number];

const fieldOf = (issue: Issue) => issue.path.map(String).join('.');

/** A missing value: reported inputs say so directly, otherwise zod's message does. */
const isMissing = (issue: Issue) =>
  issue.code === 'invalid_type' && ('input' in issue ? issue.input === undefined : /received undefined$/.test(issue.message));

/** One zod issue in OpenWatch's vocabulary, with the `detail` its catalogue gives that code. */
function zodIssueCode(issue: Issue): FleetCode {
  const field = fieldOf(issue);
  if (issue.code === 'invalid_type' && field === '') return { code: 'validation.invalid_body' };
  if (isMissing(issue)) return { code: 'validation.field_required', details: { field } };
  switch (issue.code) {
    case 'too_big':
    case 'too_small': {
      const bound = issue.code === 'too_big' ? { max: Number(issue.maximum) } : { min: Number(issue.minimum) };
      if (issue.path.at(-1) === 'limit' && issue.code === 'too_big') return { code: 'pagination.limit_exceeded', details: { max_limit: bound.max } };
      if (issue.path.at(-1) === 'limit') return { code: 'pagination.limit_exceeded', details: { field, ...bound } };
      return { code: 'validation.field_range', details: { field, ...bound } };
    }
    case 'invalid_type':
      return { code: 'validation.field_format', details: { field, expected: issue.expected } };
    case 'invalid_format':
      return { code: 'validation.field_format', details: { field, expected: issue.format } };
    case 'unrecognized_keys':
      return { code: 'validation.field_unknown', details: { field: issue.keys.map((k) => (field ? `${field}.${k}` : k)).join(', ') } };
    default:
      return { code: 'validation.invalid_value', ...(field ? { details: { field } } : {}) };
  }
}

/** A request body the JSON parser refused (as opposed to a malformed URL, also a bad_request). */
const isBodyParseFailure = (cause: unknown) =>
  cause instanceof SyntaxError || /^FST_ERR_CTP_/.test(String((cause as { code?: unknown } | undefined)?.code ?? ''));

/** The code (and detail) the fleet envelope carries for an error. */
export function fleetCode(err: RampartError): FleetCode {
  switch (err.code) {
    case 'validation_failed': {
      // The first issue names the code, as OpenWatch's handlers stop at the first bad field; the message lists them all.
      if (err.cause instanceof ZodError && err.cause.issues[0]) return zodIssueCode(err.cause.issues[0]);
      const field = err.details?.field;
      if (field === 'cursor') return { code: 'pagination.cursor_invalid' };
      return { code: 'validation.invalid_value' };
    }
    case 'bad_request':
      return isBodyParseFailure(err.cause) ? { code: 'validation.invalid_body' } : { code: err.code };
    case 'payload_too_large':
      return { code: 'validation.body_too_large', details: { max_bytes: BODY_LIMIT_BYTES } };
    case 'forbidden':
      return { code: 'authz.permission_denied' };
    case 'unauthorized':
      return { code: 'auth.required' };
    case 'idempotency_key_reused':
      return { code: 'idempotency.key_reused' };
    case 'rate_limited': {
      const retryAfter = Number(err.headers?.['retry-after']);
      return { code: 'rate_limit.exceeded', ...(retryAfter > 0 ? { details: { retry_after_seconds: retryAfter } } : {}) };
    }
    default:
      return { code: err.code };
  }
}
