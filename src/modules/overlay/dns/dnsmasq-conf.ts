/**
 * A network's zone as a dnsmasq configuration, for the dnsmasq that Nebula Commander's client runs on a node
 * and binds to the node's overlay address. Pure: data in, text out, byte-stable (its sha256 is the ETag).
 */
export interface DnsmasqZone {
  domain: string;
  /** The node that will serve it: dnsmasq listens on its overlay address only. */
  listenAddress: string;
  /** The network's nodes with an address, in address order. */
  nodes: { hostname: string; ip: string }[];
  /** Aliases of nodes with an address: "name" for name.<domain>, "*.name" for it and every name below it. */
  aliases: { alias: string; ip: string }[];
  upstreamServers: string[];
}

export function buildDnsmasqConf(zone: DnsmasqZone): string {
  return dnsmasqListenLine(zone.listenAddress) + dnsmasqZoneBody(zone);
}

/** The one line that differs between the nodes of a network. */
export const dnsmasqListenLine = (address: string) => `listen-address=${address}\n`;

/** Everything after the listen line: the same for every node of the network, so it is built once per revision. */
export function dnsmasqZoneBody(zone: Omit<DnsmasqZone, 'listenAddress'>): string {
  const { domain } = zone;
  const lines = [
    'bind-interfaces',
    'port=53',
    // Only this file speaks: no /etc/resolv.conf, no /etc/hosts, nothing cached that could go stale.
    'no-resolv',
    'no-poll',
    'no-hosts',
    'no-negcache',
    'cache-size=0',
    // Names in the zone are answered from here or not at all: never forwarded upstream.
    `local=/${domain}/`,
    '',
  ];
  // The bare domain answers with the first node (the first node of a network is a lighthouse). Unlike
  // Commander, no address=/domain/ catch-all: a mistyped name is NXDOMAIN, not silently the first node.
  if (zone.nodes.length > 0) lines.push(`host-record=${domain},${zone.nodes[0].ip}`);
  for (const node of zone.nodes) lines.push(`host-record=${node.hostname}.${domain},${node.ip}`);
  for (const { alias, ip } of zone.aliases) {
    // address=/name/ip answers for the name and every name below it: dnsmasq's wildcard.
    lines.push(alias.startsWith('*.') ? `address=/${alias.slice(2)}.${domain}/${ip}` : `host-record=${alias}.${domain},${ip}`);
  }
  lines.push('');
  for (const server of zone.upstreamServers) lines.push(`server=${server}`);
  return `${lines.join('\n')}\n`;
}
