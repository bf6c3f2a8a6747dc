import { z } from 'zod';
import type { Core } from '../../../core/index.js';
import { errors } from '../../../core/errors.js';
import { defineRoute, type RouteDefinition } from '../../../http/route.js';
import { openSseStream } from '../../../http/sse.js';
import { EDGE_PENDING, SERIES, type FrameService } from './frame.service.js';

const tags = ['edge frame'];
const surface = 'edge' as const;
const pendingView = z.object({
  pending: z.boolean(), firewall: z.boolean(), nat: z.boolean(), dns: z.boolean(), since: z.string().nullable(),
  data: z.object({ firewall: z.boolean(), nat: z.boolean(), dns: z.boolean() }),
});
const statusView = z.object({
  pf_running: z.boolean(), pf_states: z.number().int(), pf_rules: z.number().int(), aifw_rules: z.number().int(), aifw_active_rules: z.number().int(),
  nat_rules: z.number().int(), packets_in: z.number(), packets_out: z.number(), bytes_in: z.number(), bytes_out: z.number(),
}).describe('EdgeStatus');
const aboutView = z.object({
  name: z.string(), product: z.string(), version: z.string(), commit: z.string(), build_time: z.string(), node: z.string(), platform: z.string(),
  dataplane: z.enum(['nftables', 'off']), features: z.array(z.string()),
}).describe('EdgeAbout');
const metricsView = z.object({
  pf_running: z.boolean(), pf_states_count: z.number().int(), pf_rules_count: z.number().int(), pf_packets_in: z.number(), pf_packets_out: z.number(),
  pf_bytes_in: z.number(), pf_bytes_out: z.number(), aifw_rules_total: z.number().int(), aifw_rules_active: z.number().int(), aifw_nat_rules_total: z.number().int(),
}).describe('EdgeMetrics');
const ticketQuery = z.object({ ticket: z.string().max(128).optional() });
/** An instant as RFC 3339 or unix seconds. */
const instant = z.union([z.coerce.number().int().min(0).max(4_102_444_800), z.iso.datetime({ offset: true })]).transform((v) => (typeof v === 'number' ? new Date(v * 1000) : new Date(v)));
const RANGES: Record<string, number> = { '5m': 300, '15m': 900, '1h': 3600, '6h': 21_600, '24h': 86_400, '7d': 604_800 };

/** What every AiFw page's frame calls: status, about, metrics and series, pending (+ stream), reload, the WebSocket. */
export function frameRoutes(core: Core, frame: FrameService): RouteDefinition<any>[] {
  return [
    defineRoute({
      method: 'GET', path: '/api/v1/status', surface, permission: 'dashboard:view', tags,
      summary: 'Data plane and rule counts, state count, traffic counters (pf_* names as AiFw)',
      schema: { response: statusView },
      handler: () => frame.status(),
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/about', surface, permission: 'dashboard:view', tags,
      summary: 'Build, version and features', schema: { response: aboutView },
      handler: () => frame.about(),
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/metrics', surface, permission: 'dashboard:view', tags,
      summary: 'The current metrics snapshot', schema: { response: metricsView },
      handler: () => frame.metrics(),
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/metrics/list', surface, permission: 'dashboard:view', tags,
      summary: 'The stored series (sampled every 10 s, kept 7 days)', schema: { response: z.object({ data: z.array(z.string()) }) },
      handler: () => ({ data: [...SERIES] }),
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/metrics/series', surface, permission: 'dashboard:view', tags,
      summary: 'Stored points of one or more series: ?metrics=a,b (or ?name=), &range=5m|15m|1h|6h|24h|7d or &from&to, &max_points',
      schema: {
        query: z.object({
          metrics: z.string().max(512).optional(), name: z.string().max(64).optional(), range: z.string().max(8).optional(),
          from: instant.optional(), to: instant.optional(), max_points: z.coerce.number().int().min(1).max(10_000).default(1000),
        }),
        response: z.object({ data: z.array(z.object({ name: z.string(), points: z.array(z.object({ t: z.number(), v: z.number() })) })) }),
      },
      handler: async (ctx) => {
        const { metrics, name, range, from, to, max_points } = ctx.query;
        const names = (metrics ?? name ?? '').split(',').map((s) => s.trim()).filter(Boolean);
        if (!names.length) throw errors.validation('metrics: name at least one series (GET /api/v1/metrics/list)');
        if (range !== undefined && !(range in RANGES)) throw errors.validation(`range: one of ${Object.keys(RANGES).join(', ')}`);
        const end = to ?? core.now();
        const start = from ?? new Date(end.getTime() - (RANGES[range ?? '1h'] ?? 3600) * 1000);
        return { data: await frame.series(names, start, end, max_points) };
      },
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/pending', surface, permission: 'dashboard:view', tags,
      summary: 'Pending changes waiting for POST /api/v1/reload (firewall, nat, dns)', schema: { response: pendingView },
      handler: () => frame.pending(),
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/pending/stream', surface, permission: 'dashboard:view', tickets: true, tags, produces: 'text/event-stream',
      summary: 'Server-sent events, unnamed (EventSource onmessage): the pending state on connect and after every change (?ticket= from POST /api/v1/auth/ws-ticket)',
      schema: { query: ticketQuery },
      handler: async (ctx) => {
        const stream = openSseStream(ctx.raw, { heartbeatMs: 15_000, retryMs: 3_000 });
        const push = async () => void stream.send({ data: JSON.stringify(await frame.pending()) });
        const unsubscribe = core.events.subscribe(EDGE_PENDING, push);
        void stream.closed.then(unsubscribe);
        await push();
      },
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/reload', surface, permission: 'rules:write', tags, audit: 'edge.reload',
      summary: 'Apply the stored configuration to the host, step by step (VLANs, then the ruleset ...); answers the steps run',
      description: 'A step that fails stops the reload: 4xx when the configuration is at fault, 502 when the host refused it, with the step named. Never 200 on a failed apply.',
      schema: {
        response: z.object({ message: z.string(), steps: z.array(z.object({ step: z.string(), ok: z.boolean(), ms: z.number() })) }),
        responses: { 502: { description: 'a step failed on the host' } },
      },
      handler: async (ctx) => {
        const report = await frame.reload();
        ctx.auditResource('edge', null, { steps: report.steps.map((s) => s.step) });
        return report;
      },
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/ws', surface, permission: 'dashboard:view', tickets: true, tags,
      summary: 'Metrics WebSocket (?ticket=): {"type":"history"} on connect, then a {"type":"status_update"} every second',
      description: 'One producer samples once a second and sends the same update to every socket. A plain GET answers 400.',
      schema: { query: ticketQuery },
      websocket: (socket) => frame.attach(socket),
      handler: () => {
        throw errors.badRequest('this is a WebSocket endpoint: connect with Upgrade: websocket');
      },
    }),
  ];
}
