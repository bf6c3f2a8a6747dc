import { z } from 'zod';
import { defineRoute, type RouteDefinition } from '../../../http/route.js';
import type { FleetServices } from '../fleet.services.js';

const tags = ['fleet groups'];
const surface = 'fleet' as const;

const groupSchema = z.object({
  id: z.string().uuid(),
  name: z.string(),
  kind: z.enum(['site', 'os_category']),
  subtype: z.string(),
  color: z.string(),
  membership: z.enum(['manual', 'auto']),
  match_family: z.string().nullable(),
  maintenance: z.boolean(),
  target_framework: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
const pct = z.number().nullable();
const rollupSchema = z.object({
  hosts: z.number().int(),
  online: z.number().int(),
  down: z.number().int(),
  critical_hosts: z.number().int(),
  avg_compliance_pct: pct,
  members: z.array(z.object({ host_id: z.string(), hostname: z.string(), status: z.string() })),
});
const groupWithRollup = groupSchema.extend({ rollup: rollupSchema });
const summarySchema = z.object({
  groups: z.number().int(),
  sites: z.number().int(),
  os_categories: z.number().int(),
  hosts_maintenance: z.number().int(),
  avg_compliance_pct: pct,
  ungrouped: z.number().int(),
});
const text = z.string().max(256);
const params = z.object({ id: z.string() });
const notFound = { 404: { description: 'groups.not_found' } };

/**
 * /api/v1/groups: sites and OS categories (host:read to list, host:write to change), with membership, maintenance
 * (a group in maintenance keeps its hosts from being probed) and a site's compliance target.
 */
export function groupsRoutes(fleet: FleetServices): RouteDefinition<any>[] {
  const { groups, hosts, hooks, config } = fleet;
  const lens = async () => (await config.get('compliance')).default_framework;

  return [
    defineRoute({
      method: 'GET', path: '/api/v1/groups', surface, permission: 'host:read', tags,
      summary: 'The fleet summary and every group with its rollup (compliance under the default framework)',
      schema: { response: z.object({ summary: summarySchema, groups: z.array(groupWithRollup) }) },
      handler: async () => groups.list(hooks.complianceOf, await lens()),
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/groups/:id', surface, permission: 'host:read', tags,
      summary: 'One group with its rollup',
      schema: { params, response: groupWithRollup, responses: notFound },
      handler: async (ctx) => groups.get(ctx.params.id, hooks.complianceOf, await lens()),
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/groups', surface, permission: 'host:write', tags, audit: 'host_group.created', status: 201,
      summary: 'Create a group: kind site (manual) or os_category (manual, or auto with match_family: one auto group per family, else 409 groups.duplicate_family)',
      schema: {
        body: z.object({
          name: text,
          kind: z.enum(['site', 'os_category']).optional(),
          membership: z.enum(['manual', 'auto']).optional(),
          subtype: text.optional(),
          color: z.string().max(32).optional(),
          match_family: z.string().max(64).nullable().optional(),
        }),
        response: groupSchema,
        responses: { 409: { description: 'groups.duplicate_family' } },
      },
      handler: async (ctx) => {
        const group = await groups.create(ctx.body);
        ctx.auditResource('host_group', group.id, { name: group.name, kind: group.kind, membership: group.membership });
        return group;
      },
    }),
    defineRoute({
      method: 'PATCH', path: '/api/v1/groups/:id', surface, permission: 'host:write', tags, audit: 'host_group.updated',
      summary: "Change a group's name, subtype or color",
      schema: { params, body: z.object({ name: text.optional(), subtype: text.optional(), color: z.string().max(32).optional() }), response: groupSchema, responses: notFound },
      handler: async (ctx) => {
        const group = await groups.update(ctx.params.id, ctx.body);
        ctx.auditResource('host_group', group.id, { name: group.name, changed: Object.keys(ctx.body) });
        return group;
      },
    }),
    defineRoute({
      method: 'DELETE', path: '/api/v1/groups/:id', surface, permission: 'host:write', tags, audit: 'host_group.deleted', status: 204,
      summary: 'Delete a group; its hosts stay, ungrouped',
      schema: { params, responses: notFound },
      handler: async (ctx) => {
        const removed = await groups.remove(ctx.params.id);
        ctx.auditResource('host_group', removed.id, { name: removed.name });
      },
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/groups/:id(^[^:]+)::maintenance', surface, permission: 'host:write', tags, audit: 'host_group.maintenance',
      summary: 'Put a group in maintenance {on: true} (its hosts are not probed) or take it out',
      schema: { params, body: z.object({ on: z.boolean() }), response: groupSchema, responses: notFound },
      handler: async (ctx) => {
        const group = await groups.setMaintenance(ctx.params.id, ctx.body.on);
        ctx.auditResource('host_group', group.id, { maintenance: group.maintenance });
        return group;
      },
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/groups/:id/members', surface, permission: 'host:write', tags, audit: 'host_group.member_added', status: 204,
      summary: 'Add a host to a manual group (an auto group is 400 groups.auto_membership)',
      schema: { params, body: z.object({ host_id: z.string().uuid() }), responses: { 404: { description: 'groups.not_found or hosts.not_found' } } },
      handler: async (ctx) => {
        await hosts.row(ctx.body.host_id);
        await groups.addMember(ctx.params.id, ctx.body.host_id);
        ctx.auditResource('host_group', ctx.params.id, { host_id: ctx.body.host_id });
      },
    }),
    defineRoute({
      method: 'DELETE', path: '/api/v1/groups/:id/members/:host_id', surface, permission: 'host:write', tags, audit: 'host_group.member_removed', status: 204,
      summary: 'Remove a host from a group',
      schema: { params: z.object({ id: z.string(), host_id: z.string() }), responses: notFound },
      handler: async (ctx) => {
        await groups.removeMember(ctx.params.id, ctx.params.host_id);
        ctx.auditResource('host_group', ctx.params.id, { host_id: ctx.params.host_id });
      },
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/groups/:id(^[^:]+)::target', surface, permission: 'host:write', tags, audit: 'host_group.target_set',
      summary: "Set or clear (\"\" or null) a site's compliance target framework",
      schema: { params, body: z.object({ target_framework: z.string().max(64).nullable() }), response: groupSchema, responses: notFound },
      handler: async (ctx) => {
        const group = await groups.setTarget(ctx.params.id, ctx.body.target_framework);
        ctx.auditResource('host_group', group.id, { target_framework: group.target_framework });
        return group;
      },
    }),
  ];
}
