import { z } from 'zod';
import { defineRoute, type RouteDefinition } from '../../../http/route.js';
import type { FleetServices } from '../fleet.services.js';
import { createdBy } from './fleet.schemas.js';

const tags = ['fleet groups'];
const surface = 'fleet' as const;

const groupSchema = z.object({
  id: z.string().uuid(),
  name: z.string(),
  description: z.string().nullable(),
  host_count: z.number().int(),
  created_by: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
const name = z.string().min(1).max(256);
const description = z.string().max(1_024).nullable();
const params = z.object({ id: z.string() });
const notFound = { 404: { description: 'groups.not_found' } };

/** /api/v1/groups: host groups (host:read to list, host:write to change). */
export function groupsRoutes(fleet: FleetServices): RouteDefinition<any>[] {
  const { groups } = fleet;
  return [
    defineRoute({
      method: 'GET', path: '/api/v1/groups', surface, permission: 'host:read', tags,
      summary: 'List host groups with the number of hosts in each',
      schema: { response: z.object({ items: z.array(groupSchema), total: z.number().int() }) },
      handler: async () => {
        const items = await groups.list();
        return { items, total: items.length };
      },
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/groups/:id', surface, permission: 'host:read', tags,
      summary: 'One host group',
      schema: { params, response: groupSchema, responses: notFound },
      handler: (ctx) => groups.get(ctx.params.id),
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/groups', surface, permission: 'host:write', tags, audit: 'host_group.created', status: 201,
      summary: 'Create a host group (names are unique: 409 groups.duplicate)',
      schema: { body: z.object({ name, description: description.optional() }), response: groupSchema, responses: { 409: { description: 'groups.duplicate' } } },
      handler: async (ctx) => {
        const group = await groups.create(ctx.body, createdBy(ctx.principal));
        ctx.auditResource('host_group', group.id, { name: group.name });
        return group;
      },
    }),
    defineRoute({
      method: 'PATCH', path: '/api/v1/groups/:id', surface, permission: 'host:write', tags, audit: 'host_group.updated',
      summary: 'Rename or describe a host group',
      schema: { params, body: z.object({ name: name.optional(), description: description.optional() }), response: groupSchema, responses: { ...notFound, 409: { description: 'groups.duplicate' } } },
      handler: async (ctx) => {
        const group = await groups.update(ctx.params.id, ctx.body);
        ctx.auditResource('host_group', group.id, { name: group.name, changed: Object.keys(ctx.body) });
        return group;
      },
    }),
    defineRoute({
      method: 'DELETE', path: '/api/v1/groups/:id', surface, permission: 'host:write', tags, audit: 'host_group.deleted', status: 204,
      summary: 'Delete a host group; its hosts stay, ungrouped',
      schema: { params, responses: notFound },
      handler: async (ctx) => {
        const removed = await groups.remove(ctx.params.id);
        ctx.auditResource('host_group', removed.id, { name: removed.name });
      },
    }),
  ];
}
