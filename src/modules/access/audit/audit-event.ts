import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { z } from 'zod';
import type { AuditEvent } from '../../../core/audit/audit.types.js';

/**
 * The access surface's audit event (research/ztna.md's Event), a view of a row of Rampart's one audit trail
 * (core/audit): admin actions and the events gateways ingest live side by side, exported and forwarded together.
 */
export const ACTOR_TYPES = ['user', 'api_key', 'service_account', 'device', 'gateway', 'system', 'anonymous'] as const;
export const RESULTS = ['success', 'failure', 'denied'] as const;

export const auditEventView = z.object({
  id: z.string(),
  time: z.string(),
  actor: z.object({ type: z.enum(ACTOR_TYPES), id: z.string().nullable(), name: z.string().nullable() }),
  action: z.string(),
  target: z.object({ type: z.string().nullable(), id: z.string().nullable() }),
  result: z.enum(RESULTS),
  source_ip: z.string().nullable(),
  user_agent: z.string().nullable(),
  request_id: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
});
export type AccessAuditEvent = z.infer<typeof auditEventView>;

export function toView(e: AuditEvent): AccessAuditEvent {
  return {
    id: e.id,
    time: e.occurred_at,
    actor: { type: e.actor_type, id: e.actor_id, name: e.actor_name },
    action: e.action,
    target: { type: e.resource_type, id: e.resource_id },
    result: e.result,
    source_ip: e.client_ip,
    user_agent: e.user_agent,
    request_id: e.correlation_id,
    details: e.details,
  };
}

/** GET /v1/admin/audit/connectors/schema: the JSON Schema (2020-12) every connector's event follows. */
export const EVENT_JSON_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'urn:rampart:access:audit-event:1',
  title: 'Rampart access audit event',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'time', 'actor', 'action', 'target', 'result', 'source_ip', 'user_agent', 'request_id', 'details'],
  properties: {
    id: { type: 'string', format: 'uuid', description: 'Unique per event; an ingested event keeps the same id however often it is sent' },
    time: { type: 'string', format: 'date-time', description: 'When it happened (RFC 3339, UTC)' },
    actor: {
      type: 'object', additionalProperties: false, required: ['type', 'id', 'name'],
      properties: { type: { enum: [...ACTOR_TYPES] }, id: { type: ['string', 'null'] }, name: { type: ['string', 'null'] } },
    },
    action: { type: 'string', description: 'Dotted name: access.device.revoke; events gateways report are access.gateway.<action>' },
    target: {
      type: 'object', additionalProperties: false, required: ['type', 'id'],
      properties: { type: { type: ['string', 'null'] }, id: { type: ['string', 'null'] } },
    },
    result: { enum: [...RESULTS] },
    source_ip: { type: ['string', 'null'] },
    user_agent: { type: ['string', 'null'] },
    request_id: { type: ['string', 'null'], description: 'Correlation id of the request or job that caused it' },
    details: { type: 'object', description: 'Action-specific fields; ingested events carry event_id, gateway_id and tenant_id here' },
  },
} as const;

/** An ingested event's row id: the same for the same tenant and event id, so a batch sent twice is stored once. */
export function ingestedId(tenantId: string, eventId: string): string {
  const h = createHash('sha256').update(`access-audit:${tenantId}:${eventId}`).digest('hex');
  // RFC 4122 layout, version 8 (custom) and the variant bits set, so PostgreSQL's uuid type takes it.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h[16], 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

// ---- CSV -------------------------------------------------------------------------------------------------------

export const CSV_COLUMNS = ['id', 'time', 'actor_type', 'actor_id', 'actor_name', 'action', 'target_type', 'target_id', 'result', 'source_ip', 'user_agent', 'request_id', 'details'];

/**
 * One CSV cell: quoted when it holds a comma, quote or line break; a cell starting with = + - @ tab or CR gets a
 * leading apostrophe first, so a spreadsheet shows it as text instead of running it as a formula.
 */
export function csvCell(value: string | null): string {
  if (value === null) return '';
  let text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  if (/[",\r\n]/.test(text)) text = `"${text.replaceAll('"', '""')}"`;
  return text;
}

export function csvRow(e: AccessAuditEvent): string {
  return [
    e.id, e.time, e.actor.type, e.actor.id, e.actor.name, e.action, e.target.type, e.target.id, e.result,
    e.source_ip, e.user_agent, e.request_id, JSON.stringify(e.details),
  ].map(csvCell).join(',');
}

// ---- syslog (RFC 5424) -----------------------------------------------------------------------------------------

/** Facility 13 ("log audit"); severity notice for success, warning for failure and denied. */
const FACILITY = 13;
const SEVERITY = { success: 5, failure: 4, denied: 4 } as const;
/** Private enterprise number 32473 is IANA's example number (RFC 5612), as in RFC 5424's own examples. */
export const SD_ID = 'rampart@32473';
const HOST = syslogName(hostname(), 255);

/** PRINTUSASCII without space, bounded: what HOSTNAME, APP-NAME and MSGID may hold ('-' when nothing is left). */
function syslogName(value: string, max: number): string {
  const cleaned = value.replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return cleaned || '-';
}

/** PARAM-VALUE escaping: ", \ and ] take a backslash. */
const sdValue = (value: string) => value.replace(/[\\"\]]/g, (c) => `\\${c}`);

/**
 * One RFC 5424 message: <PRI>1 TIMESTAMP HOSTNAME rampart - MSGID [rampart@32473 ...] JSON. MSGID is the action,
 * the structured data carries the fields a SIEM filters on, and the message is the whole event as JSON.
 */
export function syslogLine(e: AccessAuditEvent, host: string = HOST): string {
  const pri = FACILITY * 8 + SEVERITY[e.result];
  const params: [string, string | null][] = [
    ['id', e.id], ['actor_type', e.actor.type], ['actor_id', e.actor.id], ['result', e.result],
    ['target_type', e.target.type], ['target_id', e.target.id], ['source_ip', e.source_ip], ['request_id', e.request_id],
  ];
  const sd = `[${SD_ID}${params.filter(([, v]) => v !== null).map(([k, v]) => ` ${k}="${sdValue(v!)}"`).join('')}]`;
  // JSON.stringify escapes control characters, so the message is one line.
  return `<${pri}>1 ${e.time} ${host} rampart - ${syslogName(e.action, 32)} ${sd} ${JSON.stringify(e)}`;
}
