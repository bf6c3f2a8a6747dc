import { z } from 'zod';
import { defineRoute, type RouteDefinition } from '../../../http/route.js';
import { FINDING_TYPES, type FindingsStore } from '../findings/findings.types.js';

const LIMIT_DEFAULT = 500;
const LIMIT_MAX = 10_000;

/** A parameter that may be repeated (?a=1&a=2) arrives as a string or an array. */
const repeatable = <T extends z.ZodType>(item: T) =>
  z.preprocess((v) => (v === undefined ? undefined : Array.isArray(v) ? v : [v]), z.array(item).optional());

const unixSeconds = (name: string) =>
  z.string().regex(/^\d{1,12}$/, `${name} must be unix seconds (a non-negative integer)`).transform(Number).optional();

const query = z.object({
  policy_id: z.string().min(1).max(200).optional(),
  finding_type: repeatable(z.enum(FINDING_TYPES, { error: `finding_type must be one of ${FINDING_TYPES.join(', ')}` })),
  source_group: repeatable(z.string().min(1).max(200)),
  since: unixSeconds('since'),
  until: unixSeconds('until'),
  // Out-of-range limits are clamped, as the spec says; only non-numbers are refused.
  limit: z
    .string()
    .regex(/^-?\d{1,12}$/, 'limit must be an integer')
    .transform((v) => Math.min(LIMIT_MAX, Math.max(1, Number(v))))
    .default(LIMIT_DEFAULT),
});

const finding = z.object({
  finding_type: z.enum(FINDING_TYPES),
  policy_id: z.string(),
  source_group: z.string(),
  hostname: z.string().nullable(),
  dst_ip: z.string().nullable(),
  dst_port: z.number().int().nullable(),
  proto: z.number().int().nullable(),
  fqdn: z.string().nullable(),
  sni: z.string().nullable(),
  icmp_type: z.number().int().nullable(),
  icmp_code: z.number().int().nullable(),
  query_type: z.number().int().nullable().describe("DNS type number (1 A, 28 AAAA ...)"),
  first_seen: z.number().int(),
  last_seen: z.number().int(),
  count: z.number().int(),
  node_ids: z.array(z.string()),
});

const response = z.object({
  items: z.array(finding),
  partial: z.boolean(),
  node_errors: z.array(z.object({ node_id: z.string(), error: z.string() })),
  nodes_queried: z.number().int(),
  nodes_responded: z.number().int(),
});

interface FindingsServices {
  findings: FindingsStore;
  performanceMode: { assertEnabled(): Promise<void> };
}

/**
 * Neuwerk's audit findings. Without cluster mode both paths answer from this node's store; /local is the one a
 * cluster leader would fan out to.
 */
export function findingsRoutes(services: FindingsServices): RouteDefinition<any>[] {
  const route = (path: string, summary: string) =>
    defineRoute({
      method: 'GET', path, surface: 'egress', permission: 'egress_audit:read', tags: ['egress'], summary,
      description:
        `Filters: policy_id, finding_type (repeatable: ${FINDING_TYPES.join(', ')}), source_group (repeatable), since and until ` +
        `(unix seconds: findings last seen at or after since, first seen at or before until), limit (default ${LIMIT_DEFAULT}, ` +
        `clamped to 1..${LIMIT_MAX}). Newest last_seen first. 503 while performance mode is off.`,
      schema: { query, response, responses: { 503: { description: 'performance mode is disabled' } } },
      handler: async ({ query: q }) => {
        await services.performanceMode.assertEnabled();
        const items = services.findings.query({
          policy_id: q.policy_id,
          finding_types: q.finding_type,
          source_groups: q.source_group,
          since: q.since,
          until: q.until,
          limit: q.limit,
        });
        return { items, partial: false, node_errors: [], nodes_queried: 1, nodes_responded: 1 };
      },
    });
  return [
    route('/api/v1/audit/findings', 'Audit findings (denied and audit-mode traffic), de-duplicated, newest first'),
    route('/api/v1/audit/findings/local', "This node's audit findings (the cluster fan-out target)"),
  ];
}
