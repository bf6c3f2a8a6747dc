import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { z } from 'zod';
import type { AuditFilter } from '../../../core/audit/audit.types.js';
import type { Core } from '../../../core/index.js';
import type { Job } from '../../../core/jobs/job.types.js';
import { accessErrors } from '../common/access-errors.js';
import { DEFAULT_TENANT_ID } from '../access.types.js';
import { syslogLine, toView, type AccessAuditEvent } from './audit-event.js';
import type { AccessSiemConnectorRow, AccessSiemDeliveryRow } from './audit.tables.js';
import { sendSyslog, sendWebhook, type SyslogTarget } from './siem-transports.js';
import './audit.tables.js';

export const SIEM_FORWARD_JOB = 'access.siem.forward';
/** Events per delivery (one webhook POST, one syslog connection). */
export const FORWARD_BATCH = 500;
/** Batches one job sends before it hands over to a fresh job (a long backlog does not hold one lease for ever). */
const BATCHES_PER_JOB = 20;
const SECRET_CONTEXT = 'access_siem_connectors.secret_sealed';
/**
 * Trail events younger than this are left for the next sweep: an event's time is taken when its transaction writes
 * it, so one committing late could otherwise land behind the cursor. Rampart's transactions last milliseconds.
 */
export const SETTLE_MS = 5_000;
const GATEWAY_ACTIONS = 'access.gateway.';

export const connectorBody = z.object({
  enabled: z.boolean().default(true),
  type: z.enum(['syslog', 'webhook']),
  syslog: z.object({
    host: z.string().min(1).max(253),
    port: z.number().int().min(1).max(65535),
    transport: z.enum(['tcp', 'tls', 'udp']),
    ca_pem: z.string().max(20_000).regex(/-----BEGIN CERTIFICATE-----/, 'ca_pem must be a PEM certificate').optional(),
    server_name: z.string().max(253).optional(),
  }).strict().optional(),
  webhook: z.object({
    url: z.string().url().max(2_000).refine((u) => /^https?:\/\//.test(u), 'url must be http or https'),
    /** Write-only; kept when omitted on an update. At least 16 characters. */
    secret: z.string().min(16).max(512).optional(),
  }).strict().optional(),
  filters: z.object({
    /** Action prefixes to forward (access.device., access.gateway.); all when empty. */
    actions: z.array(z.string().min(1).max(128)).max(50).default([]),
    results: z.array(z.enum(['success', 'failure', 'denied'])).max(3).default([]),
  }).strict().default({ actions: [], results: [] }),
  /** Where forwarding starts when the connector is first configured: new events only (default) or the whole trail. */
  start_from: z.enum(['now', 'beginning']).default('now'),
}).strict();
export type ConnectorInput = z.infer<typeof connectorBody>;

interface StoredConfig {
  syslog?: SyslogTarget;
  webhook?: { url: string };
  filters: { actions: string[]; results: string[] };
}

export const connectorView = z.object({
  configured: z.boolean(),
  enabled: z.boolean(),
  type: z.enum(['syslog', 'webhook']).nullable(),
  syslog: z.object({ host: z.string(), port: z.number(), transport: z.enum(['tcp', 'tls', 'udp']), ca_pem_set: z.boolean(), server_name: z.string().nullable() }).nullable(),
  webhook: z.object({ url: z.string(), secret_set: z.boolean() }).nullable(),
  filters: z.object({ actions: z.array(z.string()), results: z.array(z.string()) }),
  forwarded_through: z.string().nullable(),
  last_success_at: z.string().nullable(),
  last_error: z.string().nullable(),
  updated_at: z.string().nullable(),
});
export type ConnectorView = z.infer<typeof connectorView>;

export const deliveryView = z.object({
  id: z.string(),
  kind: z.enum(['forward', 'test']),
  type: z.string(),
  target: z.string(),
  status: z.enum(['delivered', 'failed']),
  attempt: z.number(),
  job_id: z.string().nullable(),
  http_status: z.number().nullable(),
  error: z.string().nullable(),
  events: z.number(),
  first_event_id: z.string().nullable(),
  last_event_id: z.string().nullable(),
  duration_ms: z.number(),
  created_at: z.string(),
});

/**
 * The SIEM connector: forwards the audit trail to one receiver per tenant, syslog (TCP, TLS, UDP) or a signed
 * webhook. Forwarding is a core job (retried with backoff on failure) that walks the trail from the connector's
 * cursor; a sweeper starts one whenever events wait past the cursor. Delivery is at least once: a batch whose
 * receiver took it but whose cursor update was lost is sent again, and receivers dedupe on the event id.
 */
export function createSiemService(core: Core) {
  const of = (tenant: string) => tenantSiem(core, tenant);
  return {
    /** Starts forwarding for every enabled connector whose events wait. */
    async sweep(): Promise<void> {
      const rows = await core.db.kysely.selectFrom('access_siem_connectors').select(['tenant_id', 'enabled']).execute();
      for (const r of rows) if (core.db.dialect.fromBool(r.enabled)) await of(r.tenant_id).sweep();
    },
    forward: (job: Job<{ tenant_id?: string }>) => of(job.payload.tenant_id ?? DEFAULT_TENANT_ID).forward(job),
    /**
     * Gateway events just stored, of the gateway's tenant: queued for that tenant's connector and, the trail being the
     * provider's, for the default tenant's too.
     */
    async ingested(tenantId: string, ids: string[]): Promise<void> {
      await of(tenantId).ingested(ids);
      if (tenantId !== DEFAULT_TENANT_ID) await of(DEFAULT_TENANT_ID).ingested(ids);
    },
    get: (tenant: string) => of(tenant).get(),
    configure: (tenant: string, input: ConnectorInput) => of(tenant).configure(input),
    test: (tenant: string, actor: { type: AccessAuditEvent['actor']['type']; id: string | null; name: string | null }) => of(tenant).test(actor),
    deliveries: (tenant: string, limit: number) => of(tenant).deliveries(limit),
  };
}

/**
 * One tenant's connector. The default tenant's (the provider's) forwards the whole trail; another tenant's forwards
 * the events whose details carry its tenant_id (its gateways' events, its playbook steps): the trail of other tenants
 * and of the provider never leaves through it.
 */
function tenantSiem(core: Core, tenant: string) {
  const { db } = core;
  const k = () => db.kysely;
  /** The trail this tenant's connector sees. */
  const scope: AuditFilter = tenant === DEFAULT_TENANT_ID ? {} : { detailsTenantId: tenant };

  const row = () => k().selectFrom('access_siem_connectors').selectAll().where('tenant_id', '=', tenant).executeTakeFirst();
  const configOf = (r: AccessSiemConnectorRow) => db.dialect.fromJson<StoredConfig>(r.config);
  const targetOf = (r: AccessSiemConnectorRow) => {
    const c = configOf(r);
    return r.type === 'webhook' ? c.webhook!.url : `${c.syslog!.transport}://${c.syslog!.host}:${c.syslog!.port}`;
  };

  function view(r: AccessSiemConnectorRow | undefined): ConnectorView {
    if (!r) return { configured: false, enabled: false, type: null, syslog: null, webhook: null, filters: { actions: [], results: [] }, forwarded_through: null, last_success_at: null, last_error: null, updated_at: null };
    const c = configOf(r);
    return {
      configured: true,
      enabled: db.dialect.fromBool(r.enabled),
      type: r.type,
      syslog: c.syslog ? { host: c.syslog.host, port: c.syslog.port, transport: c.syslog.transport, ca_pem_set: Boolean(c.syslog.ca_pem), server_name: c.syslog.server_name ?? null } : null,
      webhook: c.webhook ? { url: c.webhook.url, secret_set: r.secret_sealed !== null } : null,
      filters: c.filters,
      forwarded_through: r.cursor_t,
      last_success_at: r.last_success_at,
      last_error: r.last_error,
      updated_at: r.updated_at,
    };
  }

  function matches(c: StoredConfig, e: AccessAuditEvent): boolean {
    if (c.filters.actions.length && !c.filters.actions.some((p) => e.action.startsWith(p))) return false;
    if (c.filters.results.length && !c.filters.results.includes(e.result)) return false;
    return true;
  }

  /** One delivery of these events to the connector's receiver; throws what the receiver did wrong. */
  async function deliver(r: AccessSiemConnectorRow, events: AccessAuditEvent[], deliveryId: string): Promise<number | null> {
    const c = configOf(r);
    if (r.type === 'syslog') {
      await sendSyslog(c.syslog!, events.map((e) => syslogLine(e)));
      return null;
    }
    if (!r.secret_sealed) throw new Error('the webhook has no secret');
    const secret = core.secrets.openString(r.secret_sealed, SECRET_CONTEXT);
    const body = JSON.stringify({ delivery_id: deliveryId, events });
    return (await sendWebhook(c.webhook!.url, secret, body, deliveryId, core.now())).status;
  }

  async function logDelivery(r: AccessSiemConnectorRow, d: Omit<AccessSiemDeliveryRow, 'tenant_id' | 'type' | 'target' | 'created_at'>) {
    await k().insertInto('access_siem_deliveries').values({ ...d, tenant_id: tenant, type: r.type, target: targetOf(r), created_at: core.now().toISOString() }).execute();
  }

  /** Delivers one batch and logs it; throws (after logging) what the receiver did wrong. */
  async function send(r: AccessSiemConnectorRow, job: Job, events: AccessAuditEvent[]): Promise<void> {
    const id = randomUUID();
    const started = Date.now();
    const base = { id, job_id: job.id, attempt: job.attempts, kind: 'forward' as const, events: events.length, first_event_id: events[0].id, last_event_id: events[events.length - 1].id };
    try {
      const httpStatus = await deliver(r, events, id);
      await logDelivery(r, { ...base, status: 'delivered', http_status: httpStatus, error: null, duration_ms: Date.now() - started });
    } catch (err) {
      const message = (err as Error).message;
      await logDelivery(r, { ...base, status: 'failed', http_status: (err as { status?: number }).status ?? null, error: message, duration_ms: Date.now() - started });
      await k().updateTable('access_siem_connectors').set({ last_error: message }).where('tenant_id', '=', tenant).execute();
      throw err;
    }
  }

  /** The trail's events past the cursor that have settled (older than SETTLE_MS), oldest first. */
  const settledAfter = (after: { t: string; id: string } | null, limit: number) =>
    core.audit.scan({ ...scope, until: new Date(core.now().getTime() - SETTLE_MS).toISOString() }, after, limit);

  /**
   * Sends one attempt's batches: first what waits in the outbox (gateway events, in arrival order), then the trail
   * past the cursor, gateway events left out there (the outbox carries them). Throws after logging a failed
   * delivery, and the job is retried with backoff.
   */
  async function forward(job: Job<{ tenant_id?: string }>): Promise<void> {
    for (let n = 0; n < BATCHES_PER_JOB; n++) {
      const r = await row();
      if (!r || !db.dialect.fromBool(r.enabled) || r.job_id !== job.id) return;
      const config = configOf(r);
      const success = { last_success_at: core.now().toISOString(), last_error: null };

      const queued = await k().selectFrom('access_siem_outbox').select(['seq', 'event_id']).where('tenant_id', '=', tenant).orderBy('seq').limit(FORWARD_BATCH).execute();
      if (queued.length) {
        const byId = new Map((await core.audit.byIds(queued.map((q) => q.event_id))).map((e) => [e.id, toView(e)]));
        const events = queued.map((q) => byId.get(q.event_id)).filter((e): e is AccessAuditEvent => e !== undefined && matches(config, e));
        if (events.length) await send(r, job, events);
        await k().deleteFrom('access_siem_outbox').where('tenant_id', '=', tenant).where('seq', '<=', Number(queued[queued.length - 1].seq)).execute();
        if (events.length) await k().updateTable('access_siem_connectors').set(success).where('tenant_id', '=', tenant).execute();
        continue;
      }

      const after = r.cursor_t && r.cursor_id ? { t: r.cursor_t, id: r.cursor_id } : null;
      const page = await settledAfter(after, FORWARD_BATCH);
      if (page.length === 0) break;
      const events = page.map(toView).filter((e) => !e.action.startsWith(GATEWAY_ACTIONS) && matches(config, e));
      const last = page[page.length - 1];
      if (events.length) await send(r, job, events);
      // Moves on only from where this batch began: a connector reconfigured meanwhile keeps its new cursor.
      let q = k().updateTable('access_siem_connectors')
        .set({ cursor_t: last.occurred_at, cursor_id: last.id, ...(events.length ? success : {}) })
        .where('tenant_id', '=', tenant).where('job_id', '=', job.id);
      q = after ? q.where('cursor_t', '=', after.t).where('cursor_id', '=', after.id) : q.where('cursor_t', 'is', null);
      const moved = await q.executeTakeFirst();
      if (Number(moved.numUpdatedRows) === 0 || page.length < FORWARD_BATCH) break;
    }
    await k().updateTable('access_siem_connectors').set({ job_id: null }).where('tenant_id', '=', tenant).where('job_id', '=', job.id).execute();
  }

  /** Starts a forwarding job when events wait (outbox or trail) and none is in flight (a dead one is replaced). */
  async function sweep(): Promise<void> {
    const r = await row();
    if (!r || !db.dialect.fromBool(r.enabled)) return;
    if (r.job_id) {
      const job = await core.jobs.store.get(r.job_id);
      if (job && (job.status === 'queued' || job.status === 'running')) return;
    }
    const after = r.cursor_t && r.cursor_id ? { t: r.cursor_t, id: r.cursor_id } : null;
    const waiting = (await k().selectFrom('access_siem_outbox').select('seq').where('tenant_id', '=', tenant).limit(1).executeTakeFirst()) ?? (await settledAfter(after, 1))[0];
    if (!waiting) return;
    await db.transaction(async () => {
      const job = await core.jobs.queue.enqueue(SIEM_FORWARD_JOB, { tenant_id: tenant }, { maxAttempts: 8 });
      let q = k().updateTable('access_siem_connectors').set({ job_id: job.id }).where('tenant_id', '=', tenant);
      q = r.job_id ? q.where('job_id', '=', r.job_id) : q.where('job_id', 'is', null);
      // Another node started one first: this job finds its id is not the connector's and ends at once.
      await q.execute();
    });
  }

  /** The newest event now: where a connector configured to start "now" begins. */
  async function newest(): Promise<{ t: string; id: string } | null> {
    const page = await core.audit.list(scope, { limit: 1 });
    const e = page.items[0];
    return e ? { t: e.occurred_at, id: e.id } : null;
  }

  return {
    sweep,
    forward,

    /** Gateway events just stored: queued for the connector when one is enabled. */
    async ingested(ids: string[]): Promise<void> {
      if (ids.length === 0) return;
      const r = await row();
      if (!r || !db.dialect.fromBool(r.enabled)) return;
      const now = core.now().toISOString();
      for (let i = 0; i < ids.length; i += 500) {
        await k().insertInto('access_siem_outbox').values(ids.slice(i, i + 500).map((event_id) => ({ tenant_id: tenant, event_id, created_at: now }))).execute();
      }
    },

    async get(): Promise<ConnectorView> {
      return view(await row());
    },

    async configure(input: ConnectorInput): Promise<ConnectorView> {
      if (input.type === 'syslog' && !input.syslog) throw accessErrors.invalid('a syslog connector needs syslog {host, port, transport}');
      if (input.type === 'webhook' && !input.webhook) throw accessErrors.invalid('a webhook connector needs webhook {url, secret}');
      const existing = await row();
      let secretSealed = existing?.secret_sealed ?? null;
      if (input.type === 'webhook') {
        if (input.webhook!.secret) secretSealed = core.secrets.seal(input.webhook!.secret, SECRET_CONTEXT);
        if (!secretSealed) throw accessErrors.invalid('webhook.secret is required when a webhook is first configured');
      }
      const config: StoredConfig = {
        ...(input.type === 'syslog' ? { syslog: { ...input.syslog!, ca_pem: input.syslog!.ca_pem ?? null, server_name: input.syslog!.server_name ?? null } } : {}),
        ...(input.type === 'webhook' ? { webhook: { url: input.webhook!.url } } : {}),
        filters: { actions: input.filters.actions, results: input.filters.results },
      };
      const now = core.now().toISOString();
      const values = { enabled: db.dialect.toBool(input.enabled) as boolean, type: input.type, config: db.dialect.toJson(config), secret_sealed: secretSealed, updated_at: now };
      if (existing) {
        await k().updateTable('access_siem_connectors').set(values).where('tenant_id', '=', tenant).execute();
      } else {
        const start = input.start_from === 'now' ? await newest() : null;
        await k().insertInto('access_siem_connectors').values({ ...values, tenant_id: tenant, cursor_t: start?.t ?? null, cursor_id: start?.id ?? null, job_id: null, last_success_at: null, last_error: null, created_at: now }).execute();
        // From the beginning: the gateway events already stored go by the outbox, as later ones will.
        if (input.start_from === 'beginning') {
          await k().insertInto('access_siem_outbox').columns(['tenant_id', 'event_id', 'created_at'])
            .expression((eb) => {
              const q = eb.selectFrom('audit_events').select([eb.val(tenant).as('tenant_id'), 'id', eb.val(now).as('created_at')]).where('action', 'like', `${GATEWAY_ACTIONS}%`);
              return (tenant === DEFAULT_TENANT_ID ? q : q.where(detailsTenant(db.dialect.name), '=', tenant)).orderBy('occurred_at').orderBy('id');
            })
            .execute();
        }
      }
      return view(await row());
    },

    /** Sends one synthetic event straight to the receiver, outside the cursor, and logs the delivery. */
    async test(actor: { type: AccessAuditEvent['actor']['type']; id: string | null; name: string | null }) {
      const r = await row();
      if (!r) throw accessErrors.notFound('SIEM connector');
      const event: AccessAuditEvent = {
        id: randomUUID(), time: core.now().toISOString(), actor, action: 'access.siem.test', target: { type: 'access_siem_connector', id: tenant },
        result: 'success', source_ip: null, user_agent: null, request_id: null, details: { test: true },
      };
      const id = randomUUID();
      const started = Date.now();
      let error: string | null = null;
      let httpStatus: number | null = null;
      try {
        httpStatus = await deliver(r, [event], id);
      } catch (err) {
        error = (err as Error).message;
        httpStatus = (err as { status?: number }).status ?? null;
      }
      const duration = Date.now() - started;
      await logDelivery(r, { id, job_id: null, attempt: 1, kind: 'test', status: error ? 'failed' : 'delivered', http_status: httpStatus, error, events: 1, first_event_id: event.id, last_event_id: event.id, duration_ms: duration });
      return { delivered: error === null, delivery_id: id, event_id: event.id, http_status: httpStatus, error, duration_ms: duration };
    },

    async deliveries(limit: number) {
      const rows = await k().selectFrom('access_siem_deliveries').selectAll().where('tenant_id', '=', tenant).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
      return rows.map(({ tenant_id: _t, ...d }) => d);
    },
  };
}

/** The tenant_id an event's details carry, as SQL (the trail's details are JSON text on SQLite, jsonb on PostgreSQL). */
const detailsTenant = (dialect: string) => (dialect === 'postgres' ? sql<string>`details->>'tenant_id'` : sql<string>`json_extract(details, '$.tenant_id')`);

export type SiemService = ReturnType<typeof createSiemService>;
