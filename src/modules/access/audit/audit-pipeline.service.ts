import { AsyncResource } from 'node:async_hooks';
import { Readable } from 'node:stream';
import type { AuditFilter } from '../../../core/audit/audit.types.js';
import type { Core } from '../../../core/index.js';
import { accessErrors } from '../common/access-errors.js';
import { DEFAULT_TENANT_ID, type GatewayCaller } from '../access.types.js';
import { csvRow, CSV_COLUMNS, ingestedId, syslogLine, toView, type AccessAuditEvent } from './audit-event.js';

export const INGEST_BATCH_MAX = 1_000;
/** How far in the future a gateway's clock may be before its event time is refused. */
const FUTURE_SKEW_MS = 5 * 60_000;
/** Rows read per query while streaming an export: memory stays at one page however many match. */
const EXPORT_PAGE = 1_000;

export interface IngestEvent {
  id: string;
  time: string;
  actor?: { type: 'user' | 'device' | 'gateway' | 'system'; id?: string | null; name?: string | null };
  action: string;
  target?: { type: string; id?: string | null };
  result: 'success' | 'failure' | 'denied';
  source_ip?: string | null;
  request_id?: string | null;
  details?: Record<string, unknown>;
}

export type ExportFormat = 'csv' | 'json' | 'syslog';

/**
 * The trail as a tenant's administrators read it. The trail is the provider's (core/audit has no tenant column):
 * the default tenant's administrators read all of it; another tenant's read the events whose details carry its
 * tenant_id (its gateways' ingested events, its playbook steps), never the provider's or another tenant's.
 */
export const tenantScoped = (tenantId: string, filter: AuditFilter): AuditFilter =>
  tenantId === DEFAULT_TENANT_ID ? filter : { ...filter, detailsTenantId: tenantId };

/**
 * The audit pipeline: events gateways report join Rampart's one audit trail (core/audit), where every admin action
 * of every module already is, and are read, exported and forwarded from there.
 */
export function createAuditPipeline(core: Core, onIngested: (tenantId: string, ids: string[]) => Promise<void> = async () => {}) {
  const detached = new AsyncResource('access.audit.export');

  /** Every matching event, oldest first, a page at a time. */
  async function* events(filter: AuditFilter): AsyncGenerator<AccessAuditEvent> {
    let after: { t: string; id: string } | null = null;
    for (;;) {
      const page = await core.audit.scan(filter, after, EXPORT_PAGE);
      for (const e of page) yield toView(e);
      if (page.length < EXPORT_PAGE) return;
      const last = page[page.length - 1];
      after = { t: last.occurred_at, id: last.id };
    }
  }

  async function* lines(format: ExportFormat, filter: AuditFilter): AsyncGenerator<string> {
    if (format === 'csv') yield CSV_COLUMNS.join(',') + '\r\n';
    if (format === 'json') yield '[';
    let first = true;
    // Pages are joined into one chunk each, so a million events are a thousand writes, not a million.
    let chunk: string[] = [];
    for await (const e of events(filter)) {
      if (format === 'csv') chunk.push(csvRow(e) + '\r\n');
      else if (format === 'syslog') chunk.push(syslogLine(e) + '\n');
      else {
        chunk.push((first ? '' : ',') + JSON.stringify(e));
        first = false;
      }
      if (chunk.length >= EXPORT_PAGE) {
        yield chunk.join('');
        chunk = [];
      }
    }
    if (chunk.length) yield chunk.join('');
    if (format === 'json') yield ']\n';
  }

  return {
    /**
     * A gateway's batch: each event is stored once, under an id derived from its tenant and the gateway's event id,
     * with the action namespaced access.gateway.* so a gateway cannot write an admin action into the trail.
     */
    async ingest(gateway: GatewayCaller, batch: IngestEvent[]): Promise<{ received: number; accepted: number; duplicates: number }> {
      if (batch.length > INGEST_BATCH_MAX) throw accessErrors.invalid(`at most ${INGEST_BATCH_MAX} events per batch`);
      const seen = new Set<string>();
      const limit = core.now().getTime() + FUTURE_SKEW_MS;
      const rows = batch.map((e, i) => {
        const time = Date.parse(e.time);
        if (Number.isNaN(time)) throw accessErrors.invalid(`events[${i}].time is not an RFC 3339 time`);
        if (time > limit) throw accessErrors.invalid(`events[${i}].time is in the future`);
        const id = ingestedId(gateway.tenant_id, e.id);
        if (seen.has(id)) throw accessErrors.invalid(`events[${i}].id repeats an earlier event of the batch`);
        seen.add(id);
        const action = e.action.startsWith('access.gateway.') ? e.action : `access.gateway.${e.action}`;
        return {
          id,
          occurredAt: new Date(time).toISOString(),
          input: {
            actor: e.actor
              ? { type: e.actor.type, id: e.actor.id ?? null, name: e.actor.name ?? null }
              : { type: 'gateway' as const, id: gateway.gateway_id, name: null },
            action,
            resource: e.target ? { type: e.target.type, id: e.target.id ?? null } : undefined,
            result: e.result,
            clientIp: e.source_ip ?? null,
            correlationId: e.request_id ?? null,
            details: { ...(e.details ?? {}), event_id: e.id, gateway_id: gateway.gateway_id, pool_id: gateway.pool_id, tenant_id: gateway.tenant_id },
          },
        };
      });
      const inserted = await core.audit.ingest(rows);
      // Their times are the gateway's, often earlier than events already forwarded: they reach the SIEM by an outbox.
      await onIngested(gateway.tenant_id, inserted);
      return { received: batch.length, accepted: inserted.length, duplicates: batch.length - inserted.length };
    },

    async list(filter: AuditFilter, page: { limit: number; cursor?: string }) {
      const found = await core.audit.list(filter, { limit: page.limit, cursor: page.cursor });
      return { items: found.items.map(toView), next_cursor: found.next_cursor };
    },

    events,

    /**
     * The export as a stream of text chunks, read from the database a page at a time as the client takes them: a
     * slow reader holds back the queries, and memory holds one page. Detached from the request's unit of work, so
     * its queries take pooled connections of their own after the handler returned.
     */
    stream(format: ExportFormat, filter: AuditFilter): Readable {
      const it = detached.runInAsyncScope(() => lines(format, filter));
      return new Readable({
        read() {
          detached.runInAsyncScope(() => it.next()).then(
            (r) => this.push(r.done ? null : r.value),
            (err) => this.destroy(err as Error),
          );
        },
        destroy(err, cb) {
          void it.return(undefined).finally(() => cb(err));
        },
      });
    },
  };
}

export type AuditPipeline = ReturnType<typeof createAuditPipeline>;
