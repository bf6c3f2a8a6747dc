import { sanitizeAuditEvent } from './audit.sanitize.js';
import type { AuditStore } from './audit.store.js';
import type { AuditEvent, AuditEventInput, AuditFilter, AuditList, AuditPage } from './audit.types.js';

export const AUDIT_PAGE_MAX = 200;

/** The one way anything in Rampart writes or reads the audit trail. */
export function createAuditService(deps: { store: AuditStore; now: () => Date }) {
  return {
    /**
     * Appends one event. A failure propagates: whatever caused the event must fail with it, because an action
     * that cannot be audited must not happen. What clients sent is made storable and bounded first, so client
     * input cannot make the write fail.
     */
    record(input: AuditEventInput): Promise<AuditEvent> {
      return deps.store.insert(sanitizeAuditEvent(input), deps.now().toISOString());
    },
    /**
     * Appends events recorded elsewhere (a gateway's), with the ids and times they carry; ids already stored are
     * skipped, so a batch delivered twice is written once. Answers the ids that were new.
     */
    ingest(events: { id: string; occurredAt: string; input: AuditEventInput }[]): Promise<string[]> {
      return deps.store.insertMany(events.map((e) => ({ ...e, input: sanitizeAuditEvent(e.input) })));
    },
    /** Oldest first after a keyset position (exclusive), for exports and forwarders that walk the whole trail. */
    scan(filter: AuditFilter, after: { t: string; id: string } | null, limit: number): Promise<AuditEvent[]> {
      return deps.store.scan(filter, after, Math.min(Math.max(limit, 1), 5_000));
    },
    /** Events by id, in no particular order (those an outbox names, say). */
    byIds(ids: string[]): Promise<AuditEvent[]> {
      return deps.store.byIds(ids);
    },
    list(filter: AuditFilter, page: AuditPage): Promise<AuditList> {
      return deps.store.list(filter, { ...page, limit: Math.min(Math.max(page.limit, 1), AUDIT_PAGE_MAX) });
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
