import { randomUUID } from 'node:crypto';
import type { Core } from '../../../core/index.js';
import { errors } from '../../../core/errors.js';
import { isUuid } from '../../../core/db/ids.js';
import type { HostService } from '../hosts/host.service.js';
import type { HostSession } from '../ssh/ssh.types.js';
import { collectors, staleReason, type Category, type Snapshot, type StaleReason } from './collectors.js';
import { withHostSession, type SessionDeps } from './host-session.js';
import type { EventSeverity, FleetIntelligenceEventRow } from './intelligence.tables.js';
import { diffSnapshots } from './snapshot-diff.js';

export interface CategoryFreshness {
  status: 'ok' | 'stale';
  /** When the data held for the category was read; null when it never was. */
  observed_at: string | null;
  attempt_at: string;
  reason?: StaleReason;
}

export interface IntelligenceState {
  host_id: string;
  snapshot: Snapshot;
  collected_at: string | null;
  category_freshness: Partial<Record<Category, CategoryFreshness>>;
}

export interface EventFilter {
  host_id?: string;
  event_code?: string;
  severity?: EventSeverity;
  since?: string;
  until?: string;
  cursor?: string;
  limit: number;
}

interface Reading {
  fresh: Snapshot;
  failures: Partial<Record<Category, StaleReason>>;
}

/** Every category's command over the one session, concurrently; a category that cannot be read says why. */
async function readCategories(session: HostSession, now: Date): Promise<Reading> {
  const reading: Reading = { fresh: {}, failures: {} };
  await Promise.all(
    collectors.map(async (c) => {
      const result = await session.run(c.command, { sudo: c.sudo, timeoutMs: 60_000, maxOutputBytes: 8 * 1024 * 1024 });
      const data = c.parse(result, now);
      if (data === null || data === undefined) reading.failures[c.category] = staleReason(result, Boolean(c.sudo));
      else (reading.fresh as Record<string, unknown>)[c.category] = data;
    }),
  );
  return reading;
}

/** Opaque keyset cursor over (occurred_at, id), newest first. */
const encodeCursor = (row: { occurred_at: string; id: string }) => Buffer.from(JSON.stringify([row.occurred_at, row.id])).toString('base64url');

function decodeCursor(cursor: string): [string, string] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && isUuid(String(value[1]))) return [value[0], value[1]];
  } catch {
    // reported below
  }
  throw errors.validation('cursor is not one this API returned', { details: { field: 'cursor' } });
}

export function createIntelligenceService(deps: { core: Core; hosts: HostService; session: SessionDeps }) {
  const { db } = deps.core;

  async function state(hostId: string): Promise<IntelligenceState> {
    const host = await deps.hosts.row(hostId);
    const row = await db.kysely.selectFrom('fleet_intelligence_state').selectAll().where('host_id', '=', host.id).executeTakeFirst();
    if (!row) return { host_id: host.id, snapshot: {}, collected_at: null, category_freshness: {} };
    return {
      host_id: host.id,
      snapshot: db.dialect.fromJson<Snapshot>(row.snapshot),
      collected_at: row.collected_at,
      category_freshness: db.dialect.fromJson(row.category_freshness),
    };
  }

  /** The new state: fresh categories replace, unreadable ones keep their last data and are marked stale. */
  function merge(previous: IntelligenceState, reading: Reading, at: string): Pick<IntelligenceState, 'snapshot' | 'category_freshness'> {
    const snapshot: Snapshot = { ...previous.snapshot, ...reading.fresh };
    const category_freshness: IntelligenceState['category_freshness'] = {};
    for (const c of collectors) {
      const reason = reading.failures[c.category];
      category_freshness[c.category] = reason
        ? { status: 'stale', observed_at: previous.category_freshness[c.category]?.observed_at ?? null, attempt_at: at, reason }
        : { status: 'ok', observed_at: at, attempt_at: at };
    }
    return { snapshot, category_freshness };
  }

  async function save(hostId: string, next: Pick<IntelligenceState, 'snapshot' | 'category_freshness'>, at: string, events: FleetIntelligenceEventRow[]) {
    const values = { snapshot: db.dialect.toJson(next.snapshot), category_freshness: db.dialect.toJson(next.category_freshness), collected_at: at };
    await db.kysely
      .insertInto('fleet_intelligence_state')
      .values({ host_id: hostId, ...values })
      .onConflict((oc) => oc.column('host_id').doUpdateSet(values))
      .execute();
    if (events.length) await db.kysely.insertInto('fleet_intelligence_events').values(events).execute();
  }

  return {
    state,

    /**
     * Reads every category over one SSH session, diffs with the stored snapshot into events and stores both.
     * Returns the events and which categories went stale.
     */
    async collect(hostId: string, opts: { correlationId?: string | null; signal?: AbortSignal } = {}) {
      const host = await deps.hosts.row(hostId);
      const reading = await withHostSession(deps.session, host, (session) => readCategories(session, deps.core.now()), opts.signal);
      const at = deps.core.now().toISOString();
      return db.transaction(async () => {
        const previous = await state(host.id);
        const next = merge(previous, reading, at);
        const rows: FleetIntelligenceEventRow[] = diffSnapshots(previous.snapshot, reading.fresh).map((e) => ({
          id: randomUUID(),
          host_id: host.id,
          event_code: e.event_code,
          severity: e.severity,
          detail: db.dialect.toJson(e.detail),
          occurred_at: e.occurred_at ?? at,
          detected_at: at,
          correlation_id: opts.correlationId ?? null,
        }));
        await save(host.id, next, at, rows);
        const stale = Object.keys(reading.failures);
        await deps.core.audit.record({
          actor: { type: 'system', id: null, name: 'the system' },
          action: 'host.intelligence.collected',
          resource: { type: 'host', id: host.id },
          result: 'success',
          correlationId: opts.correlationId ?? null,
          details: { events: rows.length, stale_categories: stale },
        });
        return { host_id: host.id, collected_at: at, events: rows.map(toEvent), stale_categories: stale };
      });
    },

    /** Newest first, keyset-paged. */
    async events(filter: EventFilter) {
      if (filter.host_id !== undefined && !isUuid(filter.host_id)) return { items: [], next_cursor: null };
      let q = db.kysely.selectFrom('fleet_intelligence_events').selectAll();
      if (filter.host_id) q = q.where('host_id', '=', filter.host_id);
      if (filter.event_code) q = q.where('event_code', '=', filter.event_code);
      if (filter.severity) q = q.where('severity', '=', filter.severity);
      if (filter.since) q = q.where('occurred_at', '>=', filter.since);
      if (filter.until) q = q.where('occurred_at', '<', filter.until);
      if (filter.cursor) {
        const [at, id] = decodeCursor(filter.cursor);
        q = q.where((eb) => eb.or([eb('occurred_at', '<', at), eb.and([eb('occurred_at', '=', at), eb('id', '<', id)])]));
      }
      const rows = await q.orderBy('occurred_at', 'desc').orderBy('id', 'desc').limit(filter.limit + 1).execute();
      const page = rows.slice(0, filter.limit);
      return { items: page.map(toEvent), next_cursor: rows.length > filter.limit ? encodeCursor(page[page.length - 1]) : null };
    },
  };

  function toEvent(row: FleetIntelligenceEventRow) {
    return { ...row, detail: db.dialect.fromJson<Record<string, unknown>>(row.detail) };
  }
}

export type IntelligenceService = ReturnType<typeof createIntelligenceService>;
