import { randomUUID } from 'node:crypto';
import { sql, type ExpressionBuilder, type SelectQueryBuilder } from 'kysely';
import type { Database } from '../db/database.js';
import { errors } from '../errors.js';
import type { AuditEvent, AuditEventInput, AuditFilter, AuditList, AuditPage } from './audit.types.js';

export interface AuditEventRow extends Omit<AuditEvent, 'details'> {
  details: string;
}

declare module '../db/tables.js' {
  interface Tables {
    audit_events: AuditEventRow;
  }
}

type AuditQuery = SelectQueryBuilder<{ audit_events: AuditEventRow }, 'audit_events', object>;

export function createAuditStore(db: Database) {
  const fromRow = (row: AuditEventRow): AuditEvent => ({ ...row, details: db.dialect.fromJson(row.details) ?? {} });

  function applyFilter<Q extends AuditQuery>(query: Q, f: AuditFilter): Q {
    let q = query as AuditQuery;
    if (f.action) q = q.where('action', '=', f.action);
    if (f.actorType) q = q.where('actor_type', '=', f.actorType);
    if (f.actorId) q = q.where('actor_id', '=', f.actorId);
    if (f.resourceType) q = q.where('resource_type', '=', f.resourceType);
    if (f.resourceId) q = q.where('resource_id', '=', f.resourceId);
    if (f.result) q = q.where('result', '=', f.result);
    if (f.correlationId) q = q.where('correlation_id', '=', f.correlationId);
    if (f.since) q = q.where('occurred_at', '>=', f.since);
    if (f.until) q = q.where('occurred_at', '<', f.until);
    if (f.detailsTenantId !== undefined) {
      const tenantOf = db.dialect.name === 'postgres' ? sql<string>`details->>'tenant_id'` : sql<string>`json_extract(details, '$.tenant_id')`;
      q = q.where(tenantOf, '=', f.detailsTenantId);
    }
    return q as Q;
  }

  /** The stored row of an event (details as the dialect keeps JSON). */
  const toRow = (id: string, occurredAt: string, input: AuditEventInput): AuditEventRow => ({
    id,
    occurred_at: occurredAt,
    actor_type: input.actor.type,
    actor_id: input.actor.id,
    actor_name: input.actor.name,
    action: input.action,
    resource_type: input.resource?.type ?? null,
    resource_id: input.resource?.id ?? null,
    result: input.result,
    client_ip: input.clientIp ?? null,
    user_agent: input.userAgent ?? null,
    correlation_id: input.correlationId ?? null,
    details: db.dialect.toJson(input.details ?? {}),
  });

  return {
    /**
     * Writes through the current unit of work, so the row commits or rolls back with the change it records; held
     * to go out with the unit's other last writes in one statement on PostgreSQL (db.defer), since nothing reads
     * it back.
     */
    async insert(input: AuditEventInput, occurredAt: string): Promise<AuditEvent> {
      const row = toRow(randomUUID(), occurredAt, input);
      await db.defer(db.kysely.insertInto('audit_events').values(row));
      return fromRow(row);
    },

    /**
     * Writes events whose ids the caller chose (events ingested from elsewhere), skipping any id already stored:
     * a batch sent twice is written once. Answers the ids that were new.
     */
    async insertMany(events: { id: string; occurredAt: string; input: AuditEventInput }[]): Promise<string[]> {
      if (events.length === 0) return [];
      const rows = events.map(({ id, occurredAt, input }) => toRow(id, occurredAt, input));
      const inserted: string[] = [];
      // A statement's parameters are bounded (SQLite: 32,766): 13 columns per row, 500 rows per statement.
      for (let i = 0; i < rows.length; i += 500) {
        const result = await db.kysely
          .insertInto('audit_events')
          .values(rows.slice(i, i + 500))
          .onConflict((oc) => oc.column('id').doNothing())
          .returning('id')
          .execute();
        for (const r of result) inserted.push(r.id);
      }
      return inserted;
    },

    /**
     * Oldest first, after the keyset position `after` (exclusive): what an export streams page by page, so its
     * memory stays flat however many rows match.
     */
    async scan(filter: AuditFilter, after: { t: string; id: string } | null, limit: number): Promise<AuditEvent[]> {
      let query = applyFilter(db.kysely.selectFrom('audit_events') as AuditQuery, filter)
        .selectAll()
        .orderBy('occurred_at', 'asc')
        .orderBy('id', 'asc')
        .limit(limit);
      // A row-value comparison, which both databases answer from the (occurred_at, id) index as one range: the
      // equivalent OR made SQLite scan from the start on every page, quadratic over a million-row export.
      if (after) query = query.where(sql<boolean>`(occurred_at, id) > (${after.t}, ${after.id})`);
      return ((await query.execute()) as AuditEventRow[]).map(fromRow);
    },

    /** Events by id (those of a batch already stored, say). */
    async byIds(ids: string[]): Promise<AuditEvent[]> {
      if (ids.length === 0) return [];
      return ((await db.kysely.selectFrom('audit_events').selectAll().where('id', 'in', ids).execute()) as AuditEventRow[]).map(fromRow);
    },

    async list(filter: AuditFilter, page: AuditPage): Promise<AuditList> {
      const base = applyFilter(db.kysely.selectFrom('audit_events') as AuditQuery, filter);
      let query = base.selectAll().orderBy('occurred_at', 'desc').orderBy('id', 'desc').limit(page.limit + 1);
      if (page.offset !== undefined) query = query.offset(page.offset);
      else if (page.cursor) {
        const { t, id } = decodeCursor(page.cursor);
        query = query.where((eb: ExpressionBuilder<{ audit_events: AuditEventRow }, 'audit_events'>) =>
          eb.or([eb('occurred_at', '<', t), eb.and([eb('occurred_at', '=', t), eb('id', '<', id)])]),
        );
      }
      const rows = (await query.execute()) as AuditEventRow[];
      const items = rows.slice(0, page.limit).map(fromRow);
      const last = items[items.length - 1];
      const next_cursor = rows.length > page.limit && last ? encodeCursor(last.occurred_at, last.id) : null;
      if (page.offset === undefined) return { items, next_cursor };
      const { total } = await base.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
      return { items, next_cursor, total: Number(total) };
    },
  };
}

export type AuditStore = ReturnType<typeof createAuditStore>;

function encodeCursor(t: string, id: string): string {
  return Buffer.from(JSON.stringify({ t, id })).toString('base64url');
}

function decodeCursor(cursor: string): { t: string; id: string } {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof value?.t === 'string' && typeof value?.id === 'string') return value;
  } catch {
    // fall through to the error below
  }
  throw errors.validation('cursor is not valid');
}
