import { z } from 'zod';
import { pageOf } from '../../../core/db/paginate.js';
import { itemsWithTotal, pageDoc, pageQuery } from '../../../http/pagination.js';
import { withEtag } from '../../../http/etag.js';
import { defineRoute, principalOf, type RouteContext, type RouteDefinition } from '../../../http/route.js';
import type { DeviceService } from '../device/device.service.js';
import { dnsAliasView, dnsConfigView, type DnsmasqConf, type DnsService } from '../dns/dns.service.js';

const tags = ['dns'];
const params = z.object({ network_id: z.string() });
const aliasParams = z.object({ network_id: z.string(), alias_id: z.string() });
const servers = z.array(z.string().max(64)).max(64);
const putBody = z.object({
  domain: z.string().max(253).nullish(),
  enabled: z.boolean().nullish(),
  upstream_servers: servers.nullish(),
  extra_dns_resolvers: servers.nullish(),
});
const aliasBody = z.object({ alias: z.string().min(1).max(65), node_id: z.string().min(1) });

const deviceResponses = {
  304: { description: 'unchanged' },
  401: { description: 'no valid device token' },
  404: { description: 'DNS is not enabled for the network' },
  503: { description: 'the node has no overlay address yet' },
};

/** The dnsmasq.conf a device polls, under the sha256 of its text as ETag (If-None-Match gives 304). */
function dnsmasqReply(ctx: RouteContext<any>, conf: DnsmasqConf) {
  return withEtag(ctx, conf.etag, conf.text);
}

/** /api/networks/{id}/dns: a network's DNS zone and aliases (owners), and its dnsmasq.conf (device token). */
export function dnsRoutes(dns: DnsService, device: DeviceService): RouteDefinition<any>[] {
  return [
    defineRoute({
      method: 'GET', path: '/api/networks/:network_id/dns', surface: 'overlay', permission: 'authenticated', tags,
      summary: "The network's DNS settings: domain, enabled, upstream_servers, extra_dns_resolvers (off, under a domain from the network's name, until set)",
      schema: { params, response: dnsConfigView },
      handler: (ctx) => dns.getConfig(principalOf(ctx), ctx.params.network_id),
    }),
    defineRoute({
      method: 'PUT', path: '/api/networks/:network_id/dns', surface: 'overlay', permission: 'authenticated', tags,
      audit: 'overlay.dns.update',
      summary: 'Create or change the DNS settings (network owners); omitted fields keep their value, a new config is enabled unless told. 400 names an invalid domain or server',
      schema: { params, body: putBody, response: dnsConfigView },
      handler: async (ctx) => {
        ctx.auditResource('overlay_network', ctx.params.network_id);
        const config = await dns.putConfig(principalOf(ctx), ctx.params.network_id, ctx.body);
        ctx.auditResource('overlay_network', ctx.params.network_id, { domain: config.domain, enabled: config.enabled });
        return config;
      },
    }),
    defineRoute({
      method: 'GET', path: '/api/networks/:network_id/dns/aliases', surface: 'overlay', permission: 'authenticated', tags,
      summary: `The network's DNS aliases (network owners): [{id, alias, node_id, node_hostname}]; ${pageDoc()}`,
      schema: { params, query: pageQuery(), response: z.array(dnsAliasView) },
      handler: async (ctx) => itemsWithTotal(ctx, pageOf(await dns.listAliases(principalOf(ctx), ctx.params.network_id), ctx.query)),
    }),
    defineRoute({
      method: 'POST', path: '/api/networks/:network_id/dns/aliases', surface: 'overlay', permission: 'authenticated', tags, status: 201,
      audit: 'overlay.dns_alias.create',
      summary: 'Add an alias for a node (network owners): "db" names db.<domain>, "*.apps" apps.<domain> and every name below it. 404 node not in the network, 409 alias taken',
      schema: { params, body: aliasBody, response: dnsAliasView },
      handler: async (ctx) => {
        ctx.auditResource('overlay_network', ctx.params.network_id);
        const alias = await dns.createAlias(principalOf(ctx), ctx.params.network_id, ctx.body);
        ctx.auditResource('overlay_network', ctx.params.network_id, { alias_id: alias.id, alias: alias.alias, node_id: alias.node_id });
        return alias;
      },
    }),
    defineRoute({
      method: 'DELETE', path: '/api/networks/:network_id/dns/aliases/:alias_id', surface: 'overlay', permission: 'authenticated', tags, status: 204,
      audit: 'overlay.dns_alias.delete',
      summary: 'Remove an alias (network owners). 404 when the network has no such alias',
      schema: { params: aliasParams },
      handler: async (ctx) => {
        ctx.auditResource('overlay_network', ctx.params.network_id, { alias_id: ctx.params.alias_id });
        const removed = await dns.deleteAlias(principalOf(ctx), ctx.params.network_id, ctx.params.alias_id);
        ctx.auditResource('overlay_network', ctx.params.network_id, { alias_id: removed.id, alias: removed.alias, node_id: removed.node_id });
      },
    }),
    defineRoute({
      method: 'GET', path: '/api/networks/:network_id/dns/dnsmasq.conf', surface: 'overlay', permission: 'public', credentials: 'own', tags, produces: 'text/plain',
      summary: "dnsmasq.conf of the network's zone for the calling device (device token), listening on its overlay address; ETag and If-None-Match. 403 for another network's device",
      schema: { params, responses: { ...deviceResponses, 403: { description: 'the device belongs to another network' } } },
      accessLog: 'debug',
      handler: async (ctx) => {
        const state = await device.poll(ctx.headers.authorization, false);
        return dnsmasqReply(ctx, await dns.networkDnsmasqConf(state, ctx.params.network_id));
      },
    }),
  ];
}

/** The device-side DNS routes under /api/device (device token). */
export function deviceDnsRoutes(dns: DnsService, device: DeviceService): RouteDefinition<any>[] {
  return [
    defineRoute({
      method: 'GET', path: '/api/device/dns-client-config', surface: 'overlay', permission: 'public', credentials: 'own', tags: ['device'],
      summary: "Split-horizon DNS for the device's own resolver: the zone's domain and its DNS servers (every lighthouse, then the extra resolvers). 404 when DNS is off",
      schema: { response: z.object({ domain: z.string(), dns_servers: z.array(z.string()) }), responses: { 401: deviceResponses[401], 404: deviceResponses[404] } },
      accessLog: 'debug',
      handler: async (ctx) => dns.clientConfig(await device.poll(ctx.headers.authorization, false)),
    }),
    defineRoute({
      method: 'GET', path: '/api/device/dnsmasq.conf', surface: 'overlay', permission: 'public', credentials: 'own', tags: ['device'], produces: 'text/plain',
      summary: "dnsmasq.conf of the device's network zone, listening on its overlay address; ETag and If-None-Match (304)",
      schema: { responses: deviceResponses },
      accessLog: 'debug',
      handler: async (ctx) => dnsmasqReply(ctx, await dns.dnsmasqConf(await device.poll(ctx.headers.authorization, false))),
    }),
  ];
}
