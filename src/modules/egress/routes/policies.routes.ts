import { z } from 'zod';
import { errors } from '../../../core/errors.js';
import { defineRoute, type RouteContext, type RouteDefinition } from '../../../http/route.js';
import { policyConfigSchema } from '../policy/policy.model.js';
import type { PolicyService, PolicyWrite } from '../policy/policy.service.js';
import type { PolicyRecord } from '../policy/policy.types.js';
import { recordToYaml, YAML_CONTENT_TYPE } from '../policy/policy.yaml.js';

const tags = ['egress policies'];
const surface = 'egress' as const;
const read = 'egress_policy:read';
const write = 'egress_policy:write';

const record = z.object({
  id: z.string(),
  name: z.string(),
  mode: z.enum(['enforce', 'audit', 'disabled']),
  policy: policyConfigSchema,
  created_at: z.string(),
  updated_at: z.string(),
});
/** The policy is checked by the service, so its errors name their path the way policy authors read it. */
const body = z.object({
  mode: z.enum(['enforce', 'audit', 'disabled']).optional().describe('enforce (default), audit (denies recorded, not enforced) or disabled (stored only)'),
  name: z.string().optional().describe('Unique; required on create'),
  policy: z.unknown().optional().describe('A PolicyConfig: {default_policy, source_groups} (see the response schema)'),
});
const idParams = z.object({ id: z.string() });
const nameParams = z.object({ name: z.string() });
const formatQuery = z.object({ format: z.string().optional().describe('yaml for application/yaml, json (default)') });
const notFound = { 404: { description: 'no such policy' } };
const writeResponses = {
  400: { description: 'the policy is invalid (the message names the path of the first problems)' },
  409: { description: 'the name is taken, or a source group id is used by another active policy' },
  503: { description: 'stored, but the data plane did not run the new generation in time' },
};

/** Answers YAML when ?format=yaml asks for it; JSON otherwise. */
function respond(ctx: RouteContext<any>, value: PolicyRecord | PolicyRecord[]) {
  const format = (ctx.query.format ?? 'json').toLowerCase();
  if (format === 'json') return value;
  if (format !== 'yaml') throw errors.validation('format: must be json or yaml');
  // The route kit fixes one content type per route; this one varies with the query, so the reply is sent here.
  void ctx.raw.reply.code(200).type(YAML_CONTENT_TYPE).send(recordToYaml(value as PolicyRecord));
  return undefined;
}

/** Names the record in the write's audit row; runs inside the write transaction, so the row commits with it. */
const auditWith = (ctx: RouteContext<any>, action: string) => async (saved: PolicyRecord, generation: number) => {
  await ctx.recordAudit({
    action,
    resource: { type: 'egress_policy', id: saved.id },
    result: 'success',
    details: { name: saved.name, mode: saved.mode, generation },
  });
};

/**
 * Runs a write, recording a failure row when it fails. These routes write their audit rows themselves instead of
 * declaring `audit`: a declared action runs the handler inside one transaction, and the write must commit before
 * it waits for the data plane to apply the generation it made (the runtime reads the committed row).
 */
async function audited<T>(ctx: RouteContext<any>, action: string, id: string | null, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    const failure = { action, resource: { type: 'egress_policy', id }, result: 'failure' as const, details: { error: (err as Error).message } };
    await ctx.recordAudit(failure);
    throw err;
  }
}

/** /api/v1/policies: policy records, their YAML form, and upsert by name. Every write compiles and activates. */
export function policiesRoutes(policies: PolicyService): RouteDefinition<any>[] {
  return [
    defineRoute({
      method: 'GET', path: '/api/v1/policies', surface, permission: read, tags,
      summary: 'List policy records (full records, in creation order; ?format=yaml for YAML)',
      schema: { query: formatQuery, response: z.array(record) },
      handler: async (ctx) => respond(ctx, await policies.list()),
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/policies', surface, permission: write, tags,
      summary: 'Create a policy {mode, name, policy}; returns once the data plane runs it',
      schema: { body, response: record, responses: writeResponses },
      handler: (ctx) => audited(ctx, 'egress.policy.create', null, () => policies.create(ctx.body as PolicyWrite, auditWith(ctx, 'egress.policy.create'))),
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/policies/by-name/:name', surface, permission: read, tags,
      summary: 'Fetch a policy by its name (?format=yaml for YAML)',
      schema: { params: nameParams, query: formatQuery, response: record, responses: notFound },
      handler: async (ctx) => respond(ctx, await policies.getByName(ctx.params.name)),
    }),
    defineRoute({
      method: 'PUT', path: '/api/v1/policies/by-name/:name', surface, permission: write, tags,
      summary: 'Create or replace the policy of that name {mode, policy}',
      schema: { params: nameParams, body, response: record, responses: writeResponses },
      handler: (ctx) =>
        audited(ctx, 'egress.policy.upsert', null, async () => {
          const hook = (saved: PolicyRecord, generation: number, created: boolean) =>
            auditWith(ctx, created ? 'egress.policy.create' : 'egress.policy.update')(saved, generation);
          return (await policies.upsertByName(ctx.params.name, ctx.body as PolicyWrite, hook)).record;
        }),
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/policies/:id', surface, permission: read, tags,
      summary: 'Fetch a policy by id (?format=yaml for YAML)',
      schema: { params: idParams, query: formatQuery, response: record, responses: notFound },
      handler: async (ctx) => respond(ctx, await policies.get(ctx.params.id)),
    }),
    defineRoute({
      method: 'PUT', path: '/api/v1/policies/:id', surface, permission: write, tags,
      summary: 'Replace a policy by id {mode, policy, name?}; returns once the data plane runs it',
      schema: { params: idParams, body, response: record, responses: { ...notFound, ...writeResponses } },
      handler: (ctx) =>
        audited(ctx, 'egress.policy.update', ctx.params.id, () => policies.replace(ctx.params.id, ctx.body as PolicyWrite, auditWith(ctx, 'egress.policy.update'))),
    }),
    defineRoute({
      method: 'DELETE', path: '/api/v1/policies/:id', surface, permission: write, tags, status: 204,
      summary: 'Delete a policy by id; the remaining policies are compiled and activated',
      schema: { params: idParams, responses: { ...notFound, 503: writeResponses[503] } },
      handler: (ctx) => audited(ctx, 'egress.policy.delete', ctx.params.id, () => policies.remove(ctx.params.id, auditWith(ctx, 'egress.policy.delete'))),
    }),
  ];
}
