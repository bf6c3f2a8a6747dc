import { z } from 'zod';
import type { AuditEvent } from '../../../core/audit/audit.types.js';
import { auditEventView } from './user-schemas.js';

/**
 * The audit event as OpenWatch's UI reads it, over Rampart's row: a readable message, a severity, the actor's
 * label, detail (the details object) and redactions (names of fields the row left out). Rampart never writes
 * secrets into audit details in the first place, so redactions lists only what a writer recorded as redacted.
 */
export const fleetAuditEventView = auditEventView.extend({
  message: z.string(),
  severity: z.enum(['info', 'warning', 'high']),
  actor_label: z.string(),
  detail: z.record(z.string(), z.unknown()),
  redactions: z.array(z.string()),
  recorded_at: z.string(),
});

export type FleetAuditEvent = z.output<typeof fleetAuditEventView>;

/** Outcomes an operator should look at first: repeated-failure lockouts and stolen refresh tokens. */
const HIGH_ACTIONS = /lockout|reuse_detected|rollback_detected/;

export function fleetAuditEvent(event: AuditEvent): FleetAuditEvent {
  const actorLabel = event.actor_name ?? (event.actor_type === 'system' ? 'The system' : event.actor_type);
  const severity = HIGH_ACTIONS.test(event.action) ? 'high' : event.result === 'success' ? 'info' : 'warning';
  const redacted = event.details.redacted;
  return {
    ...event,
    message: messageOf(event, actorLabel),
    severity,
    actor_label: actorLabel,
    detail: event.details,
    redactions: Array.isArray(redacted) ? redacted.filter((r): r is string => typeof r === 'string') : [],
    recorded_at: event.occurred_at,
  };
}

/** "alice: identity.user.create on user 3f2c… (denied)": who, what, on what, and how it ended unless it worked. */
function messageOf(event: AuditEvent, actorLabel: string): string {
  const target = event.resource_type ? ` on ${event.resource_type}${event.resource_id ? ` ${event.resource_id}` : ''}` : '';
  const outcome = event.result === 'success' ? '' : ` (${event.result})`;
  return `${actorLabel}: ${event.action}${target}${outcome}`;
}

const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV cell: a leading = + - @ tab or CR is prefixed with ' so spreadsheets never run it; quoted as needed. */
export function csvCell(value: unknown): string {
  let text = value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export const CSV_COLUMNS = [
  'id', 'occurred_at', 'action', 'message', 'severity', 'result', 'actor_type', 'actor_id', 'actor_label',
  'resource_type', 'resource_id', 'correlation_id', 'client_ip', 'detail',
] as const;

export function csvRow(event: FleetAuditEvent): string {
  return CSV_COLUMNS.map((column) => csvCell(event[column])).join(',');
}
