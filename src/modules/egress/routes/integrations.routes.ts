import { z } from 'zod';
import { itemsWithTotal, pageDoc, pageQuery } from '../../../http/pagination.js';
import { defineRoute, type RouteDefinition } from '../../../http/route.js';
import type { IntegrationService } from '../integrations/integration.service.js';

const tags = ['egress integrations'];
const surface = 'egress' as const;

const view = z.object({
  id: z.string(),
  created_at: z.string(),
  name: z.string(),
  kind: z.literal('kubernetes'),
  api_server_url: z.string(),
  ca_cert_pem: z.string(),
  auth_type: z.literal('service_account_token'),
  token_configured: z.boolean(),
});
const fields = {
  name: z.string().max(63),
  // Any string: the service answers an unsupported kind with a message naming it.
  kind: z.string().max(64),
  api_server_url: z.string().max(2_048),
  ca_cert_pem: z.string().max(256 * 1024),
  service_account_token: z.string().max(16 * 1024),
};
const createBody = z.object(fields);
/** Neuwerk's update request has no name or kind: kind defaults to kubernetes, the name comes from the path. */
const updateBody = z.object({ ...fields, name: fields.name.optional(), kind: fields.kind.optional(), service_account_token: fields.service_account_token.optional() });
const params = z.object({ name: z.string().max(63) });

/** /api/v1/integrations: Kubernetes API servers that policies' kubernetes sources resolve through. */
export function integrationsRoutes(integrations: IntegrationService): RouteDefinition<any>[] {
  return [
    defineRoute({
      method: 'GET', path: '/api/v1/integrations', surface, permission: 'egress_integration:read', tags,
      summary: `List integrations by name (sanitized views: the token is never returned); ${pageDoc()}`,
      schema: { query: pageQuery(), response: z.array(view) },
      handler: async (ctx) => itemsWithTotal(ctx, await integrations.listPage(ctx.query)),
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/integrations', surface, permission: 'egress_integration:write', tags,
      audit: 'egress.integration.create',
      summary: 'Create a Kubernetes integration; kind must be kubernetes, api_server_url https, the token is sealed at rest',
      schema: { body: createBody, response: view, responses: { 409: { description: 'an integration of that name exists' } } },
      handler: async (ctx) => {
        const created = await integrations.create({ ...ctx.body, kind: ctx.body.kind as 'kubernetes' });
        ctx.auditResource('egress_integration', created.id, { name: created.name, api_server_url: created.api_server_url });
        return created;
      },
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/integrations/:name', surface, permission: 'egress_integration:read', tags,
      summary: 'Fetch an integration by name',
      schema: { params, response: view, responses: { 404: { description: 'no such integration' } } },
      handler: (ctx) => integrations.get(ctx.params.name),
    }),
    defineRoute({
      method: 'PUT', path: '/api/v1/integrations/:name', surface, permission: 'egress_integration:write', tags,
      audit: 'egress.integration.update',
      summary: 'Replace an integration; kind may be left out (kubernetes), and without service_account_token the stored token is kept',
      schema: { params, body: updateBody, response: view, responses: { 404: { description: 'no such integration' }, 409: { description: 'renamed onto an existing name, or renamed while a policy references it' } } },
      handler: async (ctx) => {
        const updated = await integrations.update(ctx.params.name, { ...ctx.body, kind: (ctx.body.kind ?? 'kubernetes') as 'kubernetes' });
        ctx.auditResource('egress_integration', updated.id, { name: updated.name, token_replaced: ctx.body.service_account_token !== undefined });
        return updated;
      },
    }),
    defineRoute({
      method: 'DELETE', path: '/api/v1/integrations/:name', surface, permission: 'egress_integration:write', tags,
      audit: 'egress.integration.delete', status: 204,
      summary: 'Delete an integration; refused (409) while a policy references it',
      schema: { params, responses: { 404: { description: 'no such integration' }, 409: { description: 'a policy references it' } } },
      handler: async (ctx) => {
        ctx.auditResource('egress_integration', null, { name: ctx.params.name });
        await integrations.remove(ctx.params.name);
      },
    }),
  ];
}
