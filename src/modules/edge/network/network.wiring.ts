import type { Core } from '../../../core/index.js';
import type { EdgeHooks, LiveNetwork } from '../edge.types.js';
import { createBlockedRing } from './blocked.js';
import { readLinks, readRoutes } from './host.js';
import { createNetworkService } from './network.service.js';
import { hostSpawn, readNflog, type Spawn } from './nflog/nflog.js';
import { NFLOG_GROUP } from '../edge.types.js';

/** Wires the network part: its service, the hooks it provides, its sections and the 'vlans' apply step. */
export function wireNetwork(core: Core, hooks: EdgeHooks) {
  const net = createNetworkService(core, hooks);
  const blocked = createBlockedRing();
  hooks.sections.push(net.section('vlan', 'vlans'), net.section('route', 'static_routes'), net.section('interface', 'interfaces'));
  hooks.applySteps.push({ name: 'vlans', order: 10, apply: () => net.applyVlans() });
  // After the VLANs (a VLAN may take its address by DHCP), before the firewall.
  hooks.applySteps.push({ name: 'dhcp', order: 20, apply: () => net.applyDhcp() });
  hooks.interfaces = async () =>
    (await net.interfaces()).map((i) => ({ name: i.name, role: i.role, addresses: [i.ipv4, i.ipv6].filter((a): a is string => Boolean(a)) }));
  hooks.liveNetwork = async (): Promise<LiveNetwork> => {
    const exec = net.service.exec;
    const [links, roles, flows, routes] = await Promise.all([readLinks(exec), net.roles(), net.connections().catch(() => []), readRoutes(exec).catch(() => [])]);
    const roleOf = new Map(roles.map((r) => [r.interface, r.role]));
    return {
      connections: flows.slice(0, 100).map(({ protocol, src_addr, src_port, dst_addr, dst_port, state, bytes_in, bytes_out }) => ({ protocol, src_addr, src_port, dst_addr, dst_port, state, bytes_in, bytes_out })),
      connection_count: flows.length,
      interfaces: links.map((l) => ({
        name: l.name,
        ...(l.ipv4[0] ? { address: l.ipv4[0].address, subnet: `${l.ipv4[0].address}/${l.ipv4[0].prefix}` } : {}),
        ...(roleOf.get(l.name) ? { role: roleOf.get(l.name)! } : {}),
        bytes_in: l.stats.rx_bytes, bytes_out: l.stats.tx_bytes, packets_in: l.stats.rx_packets, packets_out: l.stats.tx_packets,
      })),
      blocked: blocked.recent(50).map(({ rule: _rule, ...b }) => b),
      default_gateway: routes.find((r) => r.destination === 'default')?.gateway ?? null,
      route_count: routes.length,
    };
  };
  /** With the data plane on (serve), blocked packets come from the firewall's nflog group. */
  const spawner = { spawn: hostSpawn as Spawn };
  const startBlockedReader = () =>
    readNflog({ spawn: spawner.spawn, group: NFLOG_GROUP, logger: core.logger.child({ component: 'edge-nflog' }), onPacket: (e) => blocked.push(e) });
  /** With the data plane on (serve): the DHCP clients of the interfaces in dhcp mode; stop() ends them. */
  const startDhcp = async () => {
    await net.applyDhcp().catch((err) => core.logger.error({ err }, 'edge: DHCP clients did not start'));
    return { stop: () => net.dhcp.shutdown() };
  };
  return { net, blocked, spawner, startBlockedReader, startDhcp };
}
