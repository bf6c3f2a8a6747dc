import { z } from 'zod';
import { defineRoute, type RouteDefinition } from '../../../http/route.js';
import type { ThreatService } from '../threats/threat.service.js';
import { FEEDS, INDICATOR_TYPES, MATCH_SOURCES, OBSERVATION_LAYERS, SEVERITIES, SILENCE_KINDS } from '../threats/threat.types.js';

const surface = 'egress' as const;
const tags = ['egress threats'];
const FINDINGS_LIMIT_DEFAULT = 500;
const FINDINGS_LIMIT_MAX = 10_000;
const SILENCES_LIMIT_DEFAULT = 1_000;
const SILENCES_LIMIT_MAX = 10_000;

/** A parameter that may be repeated (?a=1&a=2) arrives as a string or an array. */
const repeatable = <T extends z.ZodType>(item: T) =>
  z.preprocess((v) => (v === undefined ? undefined : Array.isArray(v) ? v : [v]), z.array(item).max(100).optional());
const oneOf = <T extends readonly [string, ...string[]]>(name: string, values: T) =>
  z.preprocess((v) => (typeof v === 'string' ? v.trim().toLowerCase() : v), z.enum(values, { error: `invalid ${name} value; expected one of ${values.join(', ')}` }));
const unixSeconds = (name: string) => z.string().regex(/^\d{1,12}$/, `${name} must be unix seconds (a non-negative integer)`).transform(Number).optional();
const clampedLimit = (fallback: number, max: number) =>
  z.string().regex(/^-?\d{1,12}$/, 'limit must be an integer').transform((v) => Math.min(max, Math.max(1, Number(v)))).default(fallback);
const booleanText = (name: string) => z.enum(['true', 'false'], { error: `${name} must be true or false` }).transform((v) => v === 'true').optional();

const severity = z.enum(SEVERITIES);
const feedToggle = z.object({ enabled: z.boolean(), refresh_interval_secs: z.number().int() });
const settingsView = z.object({
  enabled: z.boolean(),
  alert_threshold: severity,
  baseline_feeds: z.object({ threatfox: feedToggle, urlhaus: feedToggle, spamhaus_drop: feedToggle }),
  remote_enrichment: z.object({ enabled: z.boolean() }),
  source: z.enum(['local', 'cluster']).nullable(),
});
/** Neuwerk reads absent and null alike (Option fields), so a client may send back what GET returned. */
const absentIfNull = <T extends z.ZodType>(schema: T) => schema.nullish().transform((v) => v ?? undefined);
const settingsUpdate = z.object({
  enabled: absentIfNull(z.boolean()),
  alert_threshold: absentIfNull(oneOf('alert_threshold', SEVERITIES)),
  // Rampart's addition: Neuwerk's PUT takes enabled and alert_threshold only, and ignores the rest.
  baseline_feeds: z
    .object(
      Object.fromEntries(
        FEEDS.map((f) => [f, z.object({ enabled: z.boolean().optional(), refresh_interval_secs: z.number().int().min(1, 'refresh_interval_secs must be >= 1').max(31_536_000).optional() }).optional()]),
      ) as Record<(typeof FEEDS)[number], z.ZodOptional<z.ZodObject<{ enabled: z.ZodOptional<z.ZodBoolean>; refresh_interval_secs: z.ZodOptional<z.ZodNumber> }>>>,
    )
    .nullish()
    .transform((v) => v ?? undefined),
});

const feedStatus = z.object({
  feed: z.enum(FEEDS),
  enabled: z.boolean(),
  snapshot_age_seconds: z.number().int().optional(),
  last_refresh_started_at: z.number().int().optional(),
  last_refresh_completed_at: z.number().int().optional(),
  last_successful_refresh_at: z.number().int().optional(),
  last_refresh_outcome: z.enum(['success', 'failed', 'skipped']).optional(),
  last_refresh_error: z.string().optional(),
  indicator_counts: z.object({ hostname: z.number().int(), ip: z.number().int() }),
});
const feedStatusResponse = z.object({
  snapshot_version: z.number().int(),
  snapshot_generated_at: z.number().int().optional(),
  last_refresh_started_at: z.number().int().optional(),
  last_refresh_completed_at: z.number().int().optional(),
  last_successful_refresh_at: z.number().int().optional(),
  last_refresh_outcome: z.enum(['success', 'failed', 'skipped']).optional(),
  feeds: z.array(feedStatus),
  disabled: z.boolean(),
});

const findingsQuery = z.object({
  indicator_type: repeatable(oneOf('indicator_type', INDICATOR_TYPES)),
  severity: repeatable(oneOf('severity', SEVERITIES)),
  source_group: repeatable(z.string().min(1).max(200)),
  observation_layer: repeatable(oneOf('observation_layer', OBSERVATION_LAYERS)),
  feed: repeatable(z.string().min(1).max(100)),
  match_source: repeatable(oneOf('match_source', MATCH_SOURCES)),
  alertable_only: booleanText('alertable_only'),
  alertable: booleanText('alertable'),
  since: unixSeconds('since'),
  until: unixSeconds('until'),
  limit: clampedLimit(FINDINGS_LIMIT_DEFAULT, FINDINGS_LIMIT_MAX),
});
const feedHit = z.object({ feed: z.string(), severity, confidence: z.number().int().optional(), reference_url: z.string().optional(), tags: z.array(z.string()) });
const finding = z.object({
  indicator: z.string(),
  indicator_type: z.enum(INDICATOR_TYPES),
  observation_layer: z.enum(OBSERVATION_LAYERS),
  match_source: z.enum(MATCH_SOURCES),
  source_group: z.string(),
  severity,
  confidence: z.number().int().optional(),
  feed_hits: z.array(feedHit),
  first_seen: z.number().int(),
  last_seen: z.number().int(),
  count: z.number().int(),
  sample_node_ids: z.array(z.string()),
  alertable: z.boolean(),
  audit_links: z.array(z.string()),
  enrichment_status: z.enum(['not_requested', 'queued', 'running', 'completed', 'failed']),
});
const findingsResponse = z.object({
  items: z.array(finding),
  partial: z.boolean(),
  node_errors: z.array(z.object({ node_id: z.string(), error: z.string() })),
  nodes_queried: z.number().int(),
  nodes_responded: z.number().int(),
  disabled: z.boolean(),
});

const silence = z.object({
  id: z.string(),
  kind: z.enum(SILENCE_KINDS),
  indicator_type: z.enum(INDICATOR_TYPES).nullable(),
  value: z.string(),
  reason: z.string().nullable(),
  created_at: z.number().int(),
  created_by: z.string().nullable(),
});
const silenceCreate = z.object({
  kind: oneOf('kind', SILENCE_KINDS),
  indicator_type: oneOf('indicator_type', INDICATOR_TYPES).nullish(),
  value: z.string().max(1_000),
  reason: z.string().max(1_000).nullish(),
});

/**
 * Neuwerk's threat-intelligence API: settings, feed status, findings (and the /local fan-out target, which
 * answers the same here), and silences. Reads need a valid token (egress_threat:read or egress_settings:read,
 * held by readonly); writes need admin.
 */
export function threatsRoutes(threats: ThreatService): RouteDefinition<any>[] {
  const findingsRoute = (path: string, summary: string) =>
    defineRoute({
      method: 'GET', path, surface, permission: 'egress_threat:read', tags, summary,
      description:
        `Filters (each repeatable): indicator_type (${INDICATOR_TYPES.join(', ')}), severity (${SEVERITIES.join(', ')}), source_group, ` +
        `observation_layer (${OBSERVATION_LAYERS.join(', ')}), feed, match_source (${MATCH_SOURCES.join(', ')}); alertable_only (or alertable); ` +
        `since and until (unix seconds); limit (default ${FINDINGS_LIMIT_DEFAULT}, clamped to 1..${FINDINGS_LIMIT_MAX}). Newest last_seen first. ` +
        'While threat intel is disabled: no items and disabled: true.',
      schema: { query: findingsQuery, response: findingsResponse },
      handler: ({ query: q }) =>
        threats.findings({
          indicator_type: q.indicator_type,
          severity: q.severity,
          source_group: q.source_group,
          observation_layer: q.observation_layer,
          feed: q.feed?.map((f: string) => f.trim().toLowerCase()),
          match_source: q.match_source,
          alertable_only: q.alertable_only ?? q.alertable,
          since: q.since,
          until: q.until,
          limit: q.limit,
        }),
    });

  return [
    defineRoute({
      method: 'GET', path: '/api/v1/settings/threat-intel', surface, permission: 'egress_settings:read', tags,
      summary: 'Threat-intel settings: enabled, alert_threshold, the baseline feeds and their refresh intervals; source null while the defaults apply',
      schema: { response: settingsView },
      handler: () => threats.settings.get(),
    }),
    defineRoute({
      method: 'PUT', path: '/api/v1/settings/threat-intel', surface, permission: 'egress_settings:write', tags,
      audit: 'egress.settings.threat_intel',
      summary: 'Change enabled and alert_threshold (and, beyond Neuwerk, baseline_feeds.<feed>.enabled / refresh_interval_secs); absent fields keep their value',
      schema: { body: settingsUpdate, response: settingsView, responses: { 400: { description: 'invalid value' } } },
      handler: async (ctx) => {
        const next = await threats.updateSettings(ctx.body);
        ctx.auditResource('egress_setting', 'threat_intel', { ...ctx.body });
        return next;
      },
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/threats/feeds/status', surface, permission: 'egress_threat:read', tags,
      summary: 'Feed refresh state: snapshot version, last refresh times and outcome, and per feed its indicator counts (last_refresh_error says why a refresh failed)',
      schema: { response: feedStatusResponse },
      handler: () => threats.feedStatus(),
    }),
    findingsRoute('/api/v1/threats/findings', 'Threat findings: indicators from the feeds seen in DNS queries and forwarded flows, de-duplicated, newest first'),
    findingsRoute('/api/v1/threats/findings/local', "This node's threat findings (the cluster fan-out target)"),
    defineRoute({
      method: 'GET', path: '/api/v1/threats/silences', surface, permission: 'egress_threat:read', tags,
      summary: `Threat silences, oldest first (limit: default ${SILENCES_LIMIT_DEFAULT}, at most ${SILENCES_LIMIT_MAX})`,
      schema: { query: z.object({ limit: clampedLimit(SILENCES_LIMIT_DEFAULT, SILENCES_LIMIT_MAX) }), response: z.object({ items: z.array(silence) }) },
      handler: async ({ query }) => ({ items: await threats.listSilences(query.limit) }),
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/threats/silences', surface, permission: 'egress_threat:write', tags,
      audit: 'egress.threats.silence.create',
      summary: 'Add a silence: kind exact (with indicator_type hostname or ip) or hostname_regex; a silenced indicator records no new findings',
      schema: { body: silenceCreate, response: silence, responses: { 400: { description: 'missing indicator_type, bad IPv4 address or regex' } } },
      handler: async (ctx) => {
        const created = await threats.createSilence(ctx.body, ctx.principal?.name ?? null);
        ctx.auditResource('egress_threat_silence', created.id, { kind: created.kind, indicator_type: created.indicator_type, value: created.value });
        return created;
      },
    }),
    defineRoute({
      method: 'DELETE', path: '/api/v1/threats/silences/:id', surface, permission: 'egress_threat:write', tags,
      audit: 'egress.threats.silence.delete', status: 204,
      summary: 'Remove a silence by id; 404 when there is none',
      schema: { params: z.object({ id: z.string().min(1).max(200) }), responses: { 404: { description: 'threat silence not found' } } },
      handler: async (ctx) => {
        ctx.auditResource('egress_threat_silence', ctx.params.id);
        await threats.deleteSilence(ctx.params.id);
      },
    }),
  ];
}
