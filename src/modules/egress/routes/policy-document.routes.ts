import { z } from 'zod';
import { errors } from '../../../core/errors.js';
import { isUuid } from '../../../core/db/ids.js';
import { defineRoute, type RouteDefinition } from '../../../http/route.js';
import { policyConfigSchema } from '../policy/policy.model.js';
import { toNeuwerkDocument } from '../policy/policy.document.js';
import type { PolicyTelemetry } from '../policy/policy-telemetry.js';
import type { PolicyService } from '../policy/policy.service.js';
import type { PolicyRecord } from '../policy/policy.types.js';
import { formatQuery, respond } from './policy-format.js';
import { audited, auditWith } from './policy-audit.js';

const tags = ['egress policies'];
const surface = 'egress' as const;
const read = 'egress_policy:read';
const write = 'egress_policy:write';

/** What the gateway enforces with no active record: nothing is claimed and everything passes. */
const NO_ACTIVE_POLICY = { default_policy: 'allow', source_groups: [] };

/** For the OpenAPI document: the PolicyConfig model, every absent optional value given as null. */
const documentSchema = policyConfigSchema.describe("A PolicyConfig in Neuwerk's serialised form: every field present, null where an optional value is absent");
const documentOf = (record: PolicyRecord | null) => (record ? toNeuwerkDocument(record.policy) : NO_ACTIVE_POLICY);
const telemetry = z.object({
  items: z.array(z.object({ source_group_id: z.string(), current_24h_hits: z.number(), previous_24h_hits: z.number() })),
  partial: z.boolean(),
  node_errors: z.array(z.object({ node_id: z.string(), error: z.string() })),
  nodes_queried: z.number(),
  nodes_responded: z.number(),
});

const dryRun = z.object({
  valid: z.boolean(),
  issues: z.array(z.object({ path: z.string().describe('e.g. policy.source_groups[0].rules[1].match.dst_ports[0]'), message: z.string() })),
  changes: z
    .object({
      default_policy: z.object({ from: z.string().nullable(), to: z.string().nullable() }).nullable(),
      groups_added: z.array(z.string()),
      groups_removed: z.array(z.string()),
      groups_changed: z.array(z.object({
        id: z.string(),
        fields: z.array(z.string()),
        rules_added: z.array(z.string()),
        rules_removed: z.array(z.string()),
        rules_changed: z.array(z.string()),
      })),
    })
    .nullable()
    .describe('null when the policy is invalid'),
});

/**
 * /api/v1/policy: Neuwerk's single policy document. It is the active record of /api/v1/policies (policy.service.ts
 * says which one that is), shown in Neuwerk's serialised form; a PUT rewrites that record through the same
 * compile, publish and wait path as every policy write.
 */
export function policyDocumentRoutes(policies: PolicyService, telemetryStore: PolicyTelemetry): RouteDefinition<any>[] {
  const summary = () => ({ items: telemetryStore.summary(), partial: false, node_errors: [], nodes_queried: 1, nodes_responded: 1 });
  return [
    defineRoute({
      method: 'GET', path: '/api/v1/policy', surface, permission: read, tags,
      summary: 'The policy document the gateway enforces (the active record\'s policy; ?format=yaml for YAML)',
      schema: { query: formatQuery, response: documentSchema },
      handler: async (ctx) => respond(ctx, documentOf(await policies.active())),
    }),
    defineRoute({
      method: 'PUT', path: '/api/v1/policy', surface, permission: write, tags,
      summary: 'Replace the policy document (a PolicyConfig); returns it once the data plane runs it',
      schema: {
        body: z.unknown().describe('A PolicyConfig: {default_policy, source_groups}'),
        response: documentSchema,
        responses: {
          400: { description: 'the policy is invalid (the message names the path of the first problems)' },
          503: { description: 'stored, but the data plane did not run the new generation in time' },
        },
      },
      handler: async (ctx) => {
        const hook = (saved: PolicyRecord, generation: number, created: boolean) =>
          auditWith(ctx, created ? 'egress.policy.create' : 'egress.policy.update')(saved, generation);
        return documentOf(await audited(ctx, 'egress.policy.update', null, () => policies.putDocument(ctx.body, hook)));
      },
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/policy/dry-run', surface, permission: read, tags,
      summary: 'Check a policy document without saving it (a Rampart addition): every problem at its path, or what PUT /api/v1/policy would change (groups and rules by id)',
      description: 'An invalid policy is an answer here, not an error: 200 with valid false and its issues. Nothing is stored, compiled or audited.',
      schema: { body: z.unknown().describe('A PolicyConfig: {default_policy, source_groups}'), response: dryRun },
      handler: (ctx) => policies.dryRunDocument(ctx.body),
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/policy/telemetry', surface, permission: read, tags,
      summary: 'Hits per source group over the last 24 hours and the 24 before (one node: nodes_queried 1)',
      schema: { response: telemetry },
      handler: async () => summary(),
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/policy/telemetry/local', surface, permission: read, tags,
      summary: 'This node\'s hits per source group (what a leader merges)',
      schema: { response: telemetry },
      handler: async () => summary(),
    }),
    // Neuwerk's per-record telemetry, from before the single document: the active record has the hits; others none.
    ...['/api/v1/policies/:id/telemetry', '/api/v1/policies/:id/telemetry/local'].map((path) =>
      defineRoute({
        method: 'GET', path, surface, permission: read, tags,
        summary: 'Hits per source group of a policy record (older Neuwerk clients); empty unless it is the active record',
        schema: { params: z.object({ id: z.string() }), response: telemetry, responses: { 400: { description: 'the id is not a UUID' } } },
        handler: async (ctx) => {
          if (!isUuid(ctx.params.id)) throw errors.validation('invalid policy id');
          const active = await policies.active();
          return active?.id === ctx.params.id.toLowerCase() ? summary() : { ...summary(), items: [] };
        },
      }),
    ),
  ];
}
