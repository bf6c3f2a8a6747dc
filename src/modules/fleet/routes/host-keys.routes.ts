import { z } from 'zod';
import { RampartError } from '../../../core/errors.js';
import { defineRoute, principalOf, type RouteDefinition } from '../../../http/route.js';
import type { FleetServices } from '../fleet.services.js';

const tags = ['fleet hosts'];
const surface = 'fleet' as const;
const params = z.object({ id: z.string() });
const trustedKey = z.object({
  host_id: z.string(),
  host_key_name: z.string().describe('the hostname the key is trusted under'),
  key_type: z.string(),
  fingerprint: z.string().describe('SHA256:... as ssh-keygen -l prints it'),
  trusted_at: z.string(),
  last_seen_at: z.string(),
});
const noKey = (hostname: string) =>
  new RampartError({ code: 'hosts.ssh_host_key_not_found', status: 404, message: `no SSH host key is trusted for ${hostname} yet` });

/**
 * The SSH host key Rampart trusts for a host (first use), and forgetting it: what an operator does after rebuilding a
 * host, whose new key otherwise fails every connection closed (Rampart additions; OpenWatch has no route for it).
 */
export function hostKeyRoutes(fleet: FleetServices): RouteDefinition<any>[] {
  return [
    defineRoute({
      method: 'GET', path: '/api/v1/hosts/:id/ssh-host-key', surface, permission: 'host:read', tags,
      summary: 'The SSH host key trusted for the host: type, fingerprint, when first trusted and last seen',
      schema: { params, response: trustedKey, responses: { 404: { description: 'hosts.not_found, or hosts.ssh_host_key_not_found before the first connection' } } },
      handler: async (ctx) => {
        const host = await fleet.hosts.row(ctx.params.id);
        const key = await fleet.hostKeys.get(host.hostname);
        if (!key) throw noKey(host.hostname);
        return { host_id: host.id, host_key_name: key.host_key_name, key_type: key.key_type, fingerprint: key.fingerprint, trusted_at: key.trusted_at, last_seen_at: key.last_seen_at };
      },
    }),
    defineRoute({
      method: 'DELETE', path: '/api/v1/hosts/:id/ssh-host-key', surface, permission: 'host:write', tags, status: 204,
      summary: 'Forget the trusted SSH host key: the next connection trusts the key the host presents (audited)',
      schema: { params, responses: { 404: { description: 'hosts.not_found, or hosts.ssh_host_key_not_found when none is trusted' } } },
      handler: async (ctx) => {
        const host = await fleet.hosts.row(ctx.params.id);
        const forgotten = await fleet.forgetHostKey({ hostKeyName: host.hostname, hostId: host.id, actor: principalOf(ctx), correlationId: ctx.correlationId });
        if (!forgotten) throw noKey(host.hostname);
      },
    }),
  ];
}
