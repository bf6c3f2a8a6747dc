import { z } from 'zod';
import type { AuditFilter } from '../../../core/audit/audit.types.js';
import type { Core } from '../../../core/index.js';
import { defineRoute, principalOf, type RouteContext, type RouteDefinition } from '../../../http/route.js';
import { accessServices } from '../access.services.js';
import { pageQueryFields } from '../common/cursor.js';
import { ACTOR_TYPES, auditEventView, EVENT_JSON_SCHEMA, RESULTS } from './audit-event.js';
import { INGEST_BATCH_MAX, tenantScoped, type ExportFormat } from './audit-pipeline.service.js';
import { callerTenant } from '../common/tenant-scope.js';
import { connectorBody, connectorView, deliveryView } from './siem.service.js';
import { dashboardView, expiryView } from './ops.service.js';
import { retentionView, workflowBody, workflowView } from './workflows.service.js';
import { PLAYBOOKS, playbookRunBody, playbookRunView, STEP_KINDS } from './playbook.service.js';

const tags = ['access audit'];
const iso = z.string().datetime({ offset: true });
const text = z.string().min(1).max(200);

const ingestEvent = z.object({
  id: z.string().min(1).max(128),
  time: iso,
  actor: z.object({ type: z.enum(['user', 'device', 'gateway', 'system']), id: z.string().max(200).nullable().optional(), name: z.string().max(200).nullable().optional() }).strict().optional(),
  action: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,99}$/, 'action is lower-case dotted words: session.open'),
  target: z.object({ type: z.string().min(1).max(64), id: z.string().max(200).nullable().optional() }).strict().optional(),
  result: z.enum(RESULTS),
  source_ip: z.union([z.ipv4(), z.ipv6()]).nullable().optional(),
  request_id: z.string().max(200).nullable().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
}).strict();

const filterFields = {
  from: iso.optional(),
  to: iso.optional(),
  action: text.optional(),
  actor_type: z.enum(ACTOR_TYPES).optional(),
  actor_id: text.optional(),
  target_type: text.optional(),
  target_id: text.optional(),
  result: z.enum(RESULTS).optional(),
};
type FilterQuery = { [K in keyof typeof filterFields]?: z.output<(typeof filterFields)[K]> };

const filterOf = (q: FilterQuery): AuditFilter => ({
  since: q.from, until: q.to, action: q.action, actorType: q.actor_type, actorId: q.actor_id,
  resourceType: q.target_type, resourceId: q.target_id, result: q.result,
});

const TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  json: 'application/json; charset=utf-8',
  syslog: 'text/plain; charset=utf-8',
};

/** The audit pipeline and SIEM routes (docs/access.md#audit). */
export function auditRoutes(core: Core): RouteDefinition<any>[] {
  const access = accessServices(core);
  const { pipeline, siem, playbooks, ops, workflows } = access.audit;
  /** The caller's tenant: every route here reads and acts in it alone (common/tenant-scope.ts). */
  const tenant = (ctx: RouteContext<any>) => callerTenant(access.hooks, ctx);
  /** The query's filter over the part of the trail the caller's tenant reads (audit-pipeline.service.ts#tenantScoped). */
  const scopedFilter = async (ctx: RouteContext<any>) => tenantScoped(await tenant(ctx), filterOf(ctx.query));

  /** Streams the export straight to the socket after recording who took it. */
  async function sendExport(ctx: RouteContext<any>, format: ExportFormat, filter: AuditFilter) {
    const { detailsTenantId: _t, ...asked } = filter;
    await ctx.recordAudit({ action: 'access.audit.export', resource: { type: 'access_audit', id: null }, result: 'success', details: { format, filter: asked, tenant_id: await tenant(ctx) } });
    const reply = ctx.raw.reply.code(200).type(TYPES[format]);
    if (format !== 'syslog') reply.header('content-disposition', `attachment; filename="access-audit.${format}"`);
    return reply.send(pipeline.stream(format, filter));
  }

  return [
    defineRoute({
      method: 'POST', path: '/v1/audit/ingest', surface: 'access', permission: 'public', credentials: 'own', tags,
      summary: `A gateway's batch of audit events (at most ${INGEST_BATCH_MAX}); an event id already stored is skipped, so a batch resent is stored once`,
      description: 'Gateway bearer credential. Actions are stored as access.gateway.<action>; the gateway, its pool and tenant, and the event id go into details.',
      schema: {
        body: z.object({ events: z.array(ingestEvent).min(1).max(INGEST_BATCH_MAX) }).strict(),
        response: z.object({ received: z.number().int(), accepted: z.number().int(), duplicates: z.number().int() }),
      },
      handler: async (ctx) => {
        const gateway = await access.callers.gateway(ctx);
        return core.db.transaction(async () => {
          const result = await pipeline.ingest(gateway, ctx.body.events);
          await ctx.recordAudit({
            actor: { type: 'gateway', id: gateway.gateway_id, name: null }, action: 'access.audit.ingest',
            resource: { type: 'access_gateway', id: gateway.gateway_id }, result: 'success', details: { ...result, tenant_id: gateway.tenant_id },
          });
          return result;
        });
      },
    }),
    defineRoute({
      method: 'GET', path: '/v1/audit/events', surface: 'access', permission: 'access_audit:read', tags,
      summary: 'The audit trail, newest first: admin actions of every module and the events gateways reported; filters, ?limit (1-200) and &cursor',
      description: "The trail is the provider's (one trail, no tenant column): the default tenant's administrators read all of it; another tenant's administrators read the events whose details carry their tenant_id (their gateways' events, their playbook steps and access.audit/siem/ops/workflow actions). Exports are scoped the same way.",
      schema: {
        query: z.object({ ...filterFields, ...pageQueryFields }).strict(),
        response: z.object({ items: z.array(auditEventView), next_cursor: z.string().nullable() }),
      },
      handler: async (ctx) => pipeline.list(await scopedFilter(ctx), { limit: ctx.query.limit ?? 50, cursor: ctx.query.cursor }),
    }),
    defineRoute({
      method: 'GET', path: '/v1/admin/audit/export', surface: 'access', permission: 'access_audit:export', tags, produces: 'text/csv',
      summary: 'Every matching event, oldest first, as CSV (formula-safe) or a JSON array, streamed (memory stays flat however many match)',
      description: 'A CSV cell starting with = + - @ tab or CR is prefixed with an apostrophe, so a spreadsheet shows it as text. Audited as access.audit.export.',
      schema: { query: z.object({ format: z.enum(['csv', 'json']).default('csv'), ...filterFields }).strict() },
      handler: async (ctx) => sendExport(ctx, ctx.query.format, await scopedFilter(ctx)),
    }),
    defineRoute({
      method: 'GET', path: '/v1/audit/export/syslog', surface: 'access', permission: 'access_audit:export', tags, produces: 'text/plain',
      summary: 'Every matching event, oldest first, one RFC 5424 message per line (facility 13 "log audit", MSGID the action, SD-ID rampart@32473, the event as JSON), streamed',
      schema: { query: z.object(filterFields).strict() },
      handler: async (ctx) => sendExport(ctx, 'syslog', await scopedFilter(ctx)),
    }),
    defineRoute({
      method: 'GET', path: '/v1/audit/export/webhook', surface: 'access', permission: 'access_siem:read', tags,
      summary: "The webhook connector's delivery status: its target, where forwarding got to, and the delivery log (newest first, every attempt)",
      schema: {
        query: z.object({ limit: pageQueryFields.limit }).strict(),
        response: z.object({ connector: connectorView, deliveries: z.array(deliveryView) }),
      },
      handler: async (ctx) => {
        const t = await tenant(ctx);
        return { connector: await siem.get(t), deliveries: await siem.deliveries(t, ctx.query.limit ?? 50) };
      },
    }),
    defineRoute({
      method: 'GET', path: '/v1/admin/audit/connectors/schema', surface: 'access', permission: 'access_audit:read', tags,
      summary: 'The JSON Schema (2020-12) of the event every connector and export carries',
      schema: { response: z.record(z.string(), z.unknown()) },
      handler: () => EVENT_JSON_SCHEMA,
    }),
    defineRoute({
      method: 'GET', path: '/v1/admin/siem/connector', surface: 'access', permission: 'access_siem:read', tags,
      summary: 'The SIEM connector: type, target, filters, where forwarding got to, last success and error; the webhook secret never',
      schema: { response: connectorView },
      handler: async (ctx) => siem.get(await tenant(ctx)),
    }),
    defineRoute({
      method: 'POST', path: '/v1/admin/siem/connector', surface: 'access', permission: 'access_siem:write', tags, audit: 'access.siem.configure',
      summary: 'Configure the SIEM connector: syslog {host, port, transport tcp|tls|udp, ca_pem?, server_name?} or webhook {url, secret (write-only, HMAC-SHA256)}, filters, enabled',
      schema: { body: connectorBody, response: connectorView },
      handler: async (ctx) => {
        const t = await tenant(ctx);
        const view = await siem.configure(t, ctx.body);
        ctx.auditResource('access_siem_connector', null, { tenant_id: t, type: view.type, enabled: view.enabled, target: view.webhook?.url ?? (view.syslog ? `${view.syslog.transport}://${view.syslog.host}:${view.syslog.port}` : null) });
        return view;
      },
    }),
    defineRoute({
      method: 'POST', path: '/v1/admin/siem/connector/test', surface: 'access', permission: 'access_siem:write', tags,
      summary: 'Send one test event (action access.siem.test) to the receiver now and say whether it took it; logged in the delivery log',
      schema: {
        response: z.object({ delivered: z.boolean(), delivery_id: z.string(), event_id: z.string(), http_status: z.number().nullable(), error: z.string().nullable(), duration_ms: z.number() }),
      },
      handler: async (ctx) => {
        const p = principalOf(ctx);
        // Waits on the network: recorded on its own, not inside a transaction.
        const t = await tenant(ctx);
        const result = await siem.test(t, { type: p.type, id: p.id, name: p.name });
        await ctx.recordAudit({ action: 'access.siem.test', resource: { type: 'access_siem_connector', id: null }, result: result.delivered ? 'success' : 'failure', details: { error: result.error, tenant_id: t } });
        return result;
      },
    }),
    defineRoute({
      method: 'GET', path: '/v1/admin/incident/playbook', surface: 'access', permission: 'access_ops:read', tags,
      summary: 'The incident playbooks with their steps, and the recent runs step by step (newest first); ?run_id answers that run alone',
      schema: {
        query: z.object({ run_id: z.string().uuid().optional(), limit: pageQueryFields.limit }).strict(),
        response: z.union([
          playbookRunView,
          z.object({
            playbooks: z.array(z.object({ id: z.string(), name: z.string(), description: z.string(), target: z.enum(['user', 'device', 'none']), steps: z.array(z.enum(STEP_KINDS)) })),
            runs: z.array(playbookRunView),
          }),
        ]),
      },
      handler: async (ctx) => {
        const { query } = ctx;
        const t = await tenant(ctx);
        if (query.run_id) return playbooks.get(t, query.run_id);
        return {
          playbooks: Object.entries(PLAYBOOKS).map(([id, p]) => ({ id, name: p.name, description: p.description, target: p.target, steps: p.steps })),
          runs: await playbooks.list(t, query.limit ?? 20),
        };
      },
    }),
    defineRoute({
      method: 'POST', path: '/v1/admin/incident/playbook', surface: 'access', permission: 'access_ops:run', tags, audit: 'access.playbook.start',
      summary: 'Run a playbook on a target {user_id | device_id}: dry_run answers what each step would touch and changes nothing; a real run is queued as a job (202) whose steps GET ?run_id shows',
      schema: { body: playbookRunBody, response: playbookRunView },
      handler: async (ctx) => {
        const p = principalOf(ctx);
        const t = await tenant(ctx);
        const run = await playbooks.start(t, ctx.body, p.id, ctx.correlationId);
        ctx.auditResource('access_playbook_run', ctx.body.dry_run ? null : run.id, { tenant_id: t, playbook_id: ctx.body.playbook_id, target: ctx.body.target, dry_run: ctx.body.dry_run, reason: ctx.body.reason, steps: run.steps.map((s) => ({ step: s.step, affects: s.affects })) });
        if (!ctx.body.dry_run) ctx.reply.status(202);
        return run;
      },
    }),
    defineRoute({
      method: 'GET', path: '/v1/admin/dashboard/overview', surface: 'access', permission: 'access_ops:read', tags: ['access operations'],
      summary: 'Users, devices by status, gateways by status, pools below their minimum, live sessions, the stable and canary bundles, audit volume, SIEM state and open alerts',
      schema: { response: dashboardView },
      handler: async (ctx) => ops.dashboard(await tenant(ctx)),
    }),
    defineRoute({
      method: 'GET', path: '/v1/admin/certs/expiry', surface: 'access', permission: 'access_ops:read', tags: ['access operations'],
      summary: 'Expiry of the signing keys, trust anchors, gateway credentials and the TLS listener certificate, soonest first, with days left and severity (warning < 30 days, critical < 7)',
      schema: { response: expiryView },
      handler: async (ctx) => ops.certsExpiry(await tenant(ctx)),
    }),
    defineRoute({
      method: 'POST', path: '/v1/admin/workflows/run', surface: 'access', permission: 'access_ops:run', tags: ['access operations'], audit: 'access.workflow.run',
      summary: 'Run an operational workflow now: rotate_signers, expire_tokens {created_before?}, prune_sessions {older_than_days?}, recompute_usage (monthly usage made to add up to each session metered total); dry_run answers what it would do and changes nothing',
      schema: { body: workflowBody, response: workflowView },
      handler: async (ctx) => {
        const t = await tenant(ctx);
        const run = await workflows.run(t, ctx.body);
        ctx.auditResource('access_workflow', run.run_id, { tenant_id: t, workflow: run.workflow, dry_run: run.dry_run, params: ctx.body.params, result: run.result });
        return run;
      },
    }),
    defineRoute({
      method: 'GET', path: '/v1/admin/compliance/retention', surface: 'access', permission: 'access_ops:read', tags: ['access operations'],
      summary: 'Retention of sessions, the SIEM delivery log and playbook runs (the audit trail is append-only), when the daily retention job last pruned and what it removed',
      schema: { response: retentionView },
      handler: async (ctx) => workflows.retention(await tenant(ctx)),
    }),
    defineRoute({
      method: 'GET', path: '/v1/admin/ops/export', surface: 'access', permission: 'access_ops:read', tags: ['access operations'],
      summary: 'Support bundle (JSON attachment): version, redacted configuration, dashboard, gateway health, certificate expiry, connection truth, SIEM state and delivery log, recent access jobs and audit events; no secrets',
      schema: { response: z.record(z.string(), z.unknown()) },
      handler: async (ctx) => {
        const t = await tenant(ctx);
        const bundle = await ops.supportBundle(t);
        await ctx.recordAudit({ action: 'access.ops.export', resource: { type: 'access_support_bundle', id: null }, result: 'success', details: { tenant_id: t } });
        ctx.reply.header('content-disposition', `attachment; filename="rampart-access-support-${bundle.generated_at.replace(/[:.]/g, '-')}.json"`);
        return bundle;
      },
    }),
  ];
}
