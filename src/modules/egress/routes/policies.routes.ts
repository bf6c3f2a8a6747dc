import { z } from 'zod';
import { itemsWithTotal, pageDoc, pageQueryShape } from '../../../http/pagination.js';
import { mapPage } from '../../../core/db/paginate.js';
import { defineRoute, type RouteDefinition } from '../../../http/route.js';
import { policyConfigSchema } from '../policy/policy.model.js';
import type { PolicyService, PolicyWrite } from '../policy/policy.service.js';
import type { PolicyRecord } from '../policy/policy.types.js';
import { withPolicyJsonBytes } from '../policy/policy-json.js';
import { JsonText } from '../../../http/json-text.js';
import { audited, auditWith } from './policy-audit.js';
import { formatQuery, respond } from './policy-format.js';
import { parsePolicyBody } from './policy-body.js';

const tags = ['egress policies'];
const surface = 'egress' as const;
const read = 'egress_policy:read';
const write = 'egress_policy:write';

const record = z.object({
  id: z.string(),
  name: z.string().optional().describe('Omitted when the record has none (names are optional, as in Neuwerk)'),
  mode: z.enum(['enforce', 'audit', 'disabled']),
  policy: policyConfigSchema,
  created_at: z.string(),
  updated_at: z.string(),
});
/** The policy is checked by the service, so its errors name their path the way policy authors read it. */
const body = z.object({
  mode: z.unknown().optional().describe('enforce (default), audit (denies recorded, not enforced) or disabled (stored only); any case'),
  name: z.unknown().optional().describe('Optional; unique (case-insensitively) when given'),
  policy: z.unknown().optional().describe('A PolicyConfig: {default_policy, source_groups} (see the response schema)'),
});
const idParams = z.object({ id: z.string() });
const nameParams = z.object({ name: z.string() });
const notFound = { 404: { description: 'no such policy' } };
const writeResponses = {
  400: { description: 'the policy is invalid (the message names the path of the first problems)' },
  409: { description: 'the name is taken' },
  503: { description: 'stored, but the data plane did not run the new generation in time' },
};

/** A record as Neuwerk serialises it: `name` left out when there is none. */
function recordView(record: PolicyRecord) {
  const { name, ...rest } = record;
  return name === null ? rest : { ...rest, name };
}

/** A written record's answer, serialised with its unchanged groups' texts reused (a write changes a few of them). */
const writtenView = (record: PolicyRecord) => new JsonText(withPolicyJsonBytes(recordView(record)));

/** /api/v1/policies: policy records, their YAML form, and upsert by name. Every write compiles and activates. */
export function policiesRoutes(policies: PolicyService): RouteDefinition<any>[] {
  return [
    defineRoute({
      method: 'GET', path: '/api/v1/policies', surface, permission: read, tags,
      summary: `List policy records (full records, in creation order; ?format=yaml for YAML); ${pageDoc()}`,
      schema: { query: formatQuery.extend(pageQueryShape()), response: z.array(record) },
      handler: async (ctx) => respond(ctx, itemsWithTotal(ctx, await mapPage(await policies.listPage(ctx.query), recordView))),
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/policies', surface, permission: write, tags,
      summary: 'Create a policy {mode, name?, policy}; it becomes the active one unless disabled; returns once the data plane runs it',
      schema: { body, response: record, responses: writeResponses }, parseJsonBody: parsePolicyBody,
      handler: async (ctx) => writtenView(await audited(ctx, 'egress.policy.create', null, () => policies.create(ctx.body as PolicyWrite, auditWith(ctx, 'egress.policy.create')))),
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/policies/by-name/:name', surface, permission: read, tags,
      summary: 'Fetch a policy by its name (?format=yaml for YAML)',
      schema: { params: nameParams, query: formatQuery, response: record, responses: notFound },
      handler: async (ctx) => respond(ctx, recordView(await policies.getByName(ctx.params.name))),
    }),
    defineRoute({
      method: 'PUT', path: '/api/v1/policies/by-name/:name', surface, permission: write, tags,
      summary: 'Create or replace the policy of that name {mode, policy}',
      schema: { params: nameParams, body, response: record, responses: writeResponses }, parseJsonBody: parsePolicyBody,
      handler: (ctx) =>
        audited(ctx, 'egress.policy.upsert', null, async () => {
          const hook = (saved: PolicyRecord, generation: number, created: boolean) =>
            auditWith(ctx, created ? 'egress.policy.create' : 'egress.policy.update')(saved, generation);
          return writtenView((await policies.upsertByName(ctx.params.name, ctx.body as PolicyWrite, hook)).record);
        }),
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/policies/:id', surface, permission: read, tags,
      summary: 'Fetch a policy by id (?format=yaml for YAML)',
      schema: { params: idParams, query: formatQuery, response: record, responses: notFound },
      handler: async (ctx) => respond(ctx, recordView(await policies.get(ctx.params.id))),
    }),
    defineRoute({
      method: 'PUT', path: '/api/v1/policies/:id', surface, permission: write, tags,
      summary: 'Replace a policy by id {mode, policy, name?}; returns once the data plane runs it',
      schema: { params: idParams, body, response: record, responses: { ...notFound, ...writeResponses } }, parseJsonBody: parsePolicyBody,
      handler: async (ctx) =>
        writtenView(await audited(ctx, 'egress.policy.update', ctx.params.id, () => policies.replace(ctx.params.id, ctx.body as PolicyWrite, auditWith(ctx, 'egress.policy.update')))),
    }),
    defineRoute({
      method: 'DELETE', path: '/api/v1/policies/:id', surface, permission: write, tags, status: 204,
      summary: 'Delete a policy by id; the remaining policies are compiled and activated',
      schema: { params: idParams, responses: { ...notFound, 503: writeResponses[503] } },
      handler: (ctx) => audited(ctx, 'egress.policy.delete', ctx.params.id, () => policies.remove(ctx.params.id, auditWith(ctx, 'egress.policy.delete'))),
    }),
  ];
}
