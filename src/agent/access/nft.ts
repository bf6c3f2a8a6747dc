/**
 * The gateway's per-device enforcement, in its own nftables table `inet rampart_access` (the host's other tables
 * are never touched). Traffic arriving on the WireGuard interface is dropped unless its source is an admitted
 * device's overlay address and its destination one of that device's grant destinations; traffic to the gateway
 * itself from the tunnel is dropped. The whole table is rewritten in one `nft -f` transaction, so a reader never
 * sees half a policy, and removing a device leaves no rule behind. Its tracked connections are deleted too
 * (conntrack -D), so nothing established outlives the grant.
 */
import { isIP } from 'node:net';
import { must, type CommandRunner } from './exec.js';
import type { Destination } from './destinations.js';

export const TABLE = 'rampart_access';

export interface DeviceRules {
  device_id: string;
  overlay_ip: string;
  destinations: Destination[];
}

const chainName = (index: number) => `device_${index}`;

function family(cidr: string): 'ip' | 'ip6' {
  return isIP(cidr.split('/')[0]) === 6 ? 'ip6' : 'ip';
}

function destinationRule(d: Destination): string {
  const match = `${family(d.cidr)} daddr ${d.cidr}`;
  if (d.protocol === 'any') return `${match} accept`;
  if (d.protocol === 'icmp') return `${match} meta l4proto { icmp, ipv6-icmp } accept`;
  if (d.ports.length === 0) return `${match} meta l4proto ${d.protocol} accept`;
  return `${match} ${d.protocol} dport { ${d.ports.join(', ')} } accept`;
}

/** The table as nft text: a chain per device, jumped to on the device's source address. */
export function renderTable(ifname: string, devices: DeviceRules[]): string {
  const lines = [`table inet ${TABLE} {`];
  devices.forEach((device, i) => {
    if (!isIP(device.overlay_ip)) throw new Error(`overlay_ip "${device.overlay_ip}" of device ${device.device_id} is not an address`);
    lines.push(`  chain ${chainName(i)} {`, `    comment ${JSON.stringify(`device ${device.device_id.replace(/[^\w-]/g, '')}`)}`);
    for (const d of device.destinations) lines.push(`    ${destinationRule(d)}`);
    lines.push('    drop', '  }');
  });
  lines.push('  chain forward {', '    type filter hook forward priority filter; policy accept;');
  for (const [i, device] of devices.entries()) {
    lines.push(`    iifname "${ifname}" ${family(device.overlay_ip)} saddr ${device.overlay_ip} jump ${chainName(i)}`);
  }
  // Default drop for the tunnel, both ways; replies to admitted flows come back as established.
  lines.push(`    iifname "${ifname}" drop`, `    oifname "${ifname}" ct state established,related accept`, `    oifname "${ifname}" drop`, '  }');
  lines.push('  chain input {', '    type filter hook input priority filter; policy accept;', `    iifname "${ifname}" drop`, '  }', '}');
  return `${lines.join('\n')}\n`;
}

export class NftEnforcer {
  constructor(private readonly runner: CommandRunner, private readonly ifname: string) {}

  /** Replaces the table with exactly these devices' rules, atomically. */
  async apply(devices: DeviceRules[]): Promise<void> {
    // `add` then `delete` makes the delete succeed whether or not the table exists; all in one transaction.
    const script = `add table inet ${TABLE}\ndelete table inet ${TABLE}\n${renderTable(this.ifname, devices)}`;
    await must(this.runner, 'nft', ['-f', '-'], script);
  }

  /** Deletes the tracked connections from this overlay address (exit 1 when there were none is fine). */
  async forget(overlayIp: string): Promise<void> {
    await this.runner.run('conntrack', ['-D', '-s', overlayIp]);
    await this.runner.run('conntrack', ['-D', '-d', overlayIp]);
  }

  async remove(): Promise<void> {
    await this.runner.run('nft', ['delete', 'table', 'inet', TABLE]);
  }

  async listing(): Promise<string> {
    return must(this.runner, 'nft', ['list', 'table', 'inet', TABLE]);
  }
}
