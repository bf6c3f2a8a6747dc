import type { AuditEventInput } from './audit.types.js';

/**
 * Audit rows carry what clients sent (user names, user agents, error messages), and writing a row must not fail on
 * it: PostgreSQL refuses NUL in text and jsonb, UTF-8 has no form for a lone surrogate, and an unbounded detail
 * would bloat the trail. So every text is made storable and every part bounded before it is written.
 */
const TEXT_MAX = 512;
const DETAIL_STRING_MAX = 2_048;
const DETAIL_ITEMS_MAX = 50;
const DETAIL_DEPTH_MAX = 6;
const TRUNCATED = '…';
const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** NUL becomes U+FFFD, a lone surrogate too, and the text is cut to `max` characters. */
export function storableText(value: string, max: number = TEXT_MAX): string {
  let text = value.includes('\u0000') ? value.replaceAll('\u0000', '\ufffd') : value;
  if (text.length > max) text = text.slice(0, max) + TRUNCATED;
  // Cutting may split a pair too, so surrogates are mended after the cut.
  return text.replace(UNPAIRED_SURROGATE, '\ufffd');
}

const optionalText = (value: string | null | undefined, max?: number) => (typeof value === 'string' ? storableText(value, max) : value);

export function sanitizeAuditEvent(input: AuditEventInput): AuditEventInput {
  return {
    actor: { type: input.actor.type, id: optionalText(input.actor.id) ?? null, name: optionalText(input.actor.name) ?? null },
    action: storableText(input.action),
    ...(input.resource ? { resource: { type: storableText(input.resource.type), id: optionalText(input.resource.id) } } : {}),
    result: input.result,
    clientIp: optionalText(input.clientIp),
    userAgent: optionalText(input.userAgent),
    correlationId: optionalText(input.correlationId),
    details: input.details ? (sanitizeDetail(input.details, 0) as Record<string, unknown>) : {},
  };
}

/** A JSON-storable copy: strings made storable and cut, arrays and objects cut to their first entries, depth bounded. */
function sanitizeDetail(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return storableText(value, DETAIL_STRING_MAX);
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'boolean' || value === null) return value;
  if (typeof value === 'bigint') return value.toString();
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return undefined;
  if (depth >= DETAIL_DEPTH_MAX) return TRUNCATED;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) {
    const items = value.slice(0, DETAIL_ITEMS_MAX).map((item) => sanitizeDetail(item, depth + 1) ?? null);
    return value.length > DETAIL_ITEMS_MAX ? [...items, `${TRUNCATED} ${value.length - DETAIL_ITEMS_MAX} more`] : items;
  }
  const out: Record<string, unknown> = {};
  const entries = Object.entries(value as Record<string, unknown>);
  for (const [key, child] of entries.slice(0, DETAIL_ITEMS_MAX)) {
    const clean = sanitizeDetail(child, depth + 1);
    if (clean !== undefined) out[storableText(key, 128)] = clean;
  }
  if (entries.length > DETAIL_ITEMS_MAX) out[TRUNCATED] = `${entries.length - DETAIL_ITEMS_MAX} more`;
  return out;
}
