import { z } from 'zod';
import { errors } from '../../../core/errors.js';
import { pageOf } from '../../../core/db/paginate.js';
import { itemsWithTotal, pageDoc, pageQuery } from '../../../http/pagination.js';
import { defineRoute, principalOf, type RouteDefinition } from '../../../http/route.js';
import { groupFirewallView, MAX_GROUP_NAME, type GroupFirewall } from '../networks/group-firewall.js';

const params = z.object({ network_id: z.string() });
const groupParams = z.object({ network_id: z.string(), group_name: z.string().min(1).max(MAX_GROUP_NAME) });
/** Protocol and ports are checked by validateInboundRule, so its messages (with the rule's index) reach the client. */
const rule = z.object({
  allowed_group: z.string().max(MAX_GROUP_NAME),
  protocol: z.string().max(16),
  port_range: z.string().max(256).default('any'),
  description: z.string().max(500).nullish(),
});
const putBody = z.object({ inbound_rules: z.array(rule) });
const tags = ['networks'];

/** /api/networks/{id}/group-firewall: inbound rules per group (can_manage_firewall). */
export function groupFirewallRoutes(firewall: GroupFirewall): RouteDefinition<any>[] {
  return [
    defineRoute({
      method: 'GET', path: '/api/networks/:network_id/group-firewall', surface: 'overlay', permission: 'authenticated', tags,
      summary: `List per-group firewall configs (can_manage_firewall): [{group_name, inbound_rules}]; ${pageDoc()}`,
      schema: { params, query: pageQuery(), response: z.array(groupFirewallView) },
      handler: async (ctx) => itemsWithTotal(ctx, pageOf(await firewall.list(principalOf(ctx), ctx.params.network_id), ctx.query)),
    }),
    defineRoute({
      method: 'PUT', path: '/api/networks/:network_id/group-firewall/:group_name', surface: 'overlay', permission: 'authenticated', tags,
      audit: 'overlay.group_firewall.put',
      summary: 'Create or replace the inbound rules of a group: allowed_group, protocol (any/tcp/udp/icmp), port_range, description',
      schema: { params: groupParams, body: putBody, response: groupFirewallView },
      handler: async (ctx) => {
        const saved = await firewall.put(principalOf(ctx), ctx.params.network_id, ctx.params.group_name, ctx.body.inbound_rules as never);
        ctx.auditResource('network', ctx.params.network_id, { group_name: saved.group_name, inbound_rules: saved.inbound_rules });
        return saved;
      },
    }),
    defineRoute({
      method: 'DELETE', path: '/api/networks/:network_id/group-firewall/:group_name', surface: 'overlay', permission: 'authenticated', tags, status: 204,
      audit: 'overlay.group_firewall.delete',
      summary: 'Remove the firewall config of a group',
      schema: { params: groupParams },
      handler: async (ctx) => {
        ctx.auditResource('network', ctx.params.network_id, { group_name: ctx.params.group_name });
        await firewall.remove(principalOf(ctx), ctx.params.network_id, ctx.params.group_name);
      },
    }),
  ];
}
