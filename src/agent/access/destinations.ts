/**
 * A grant's destinations, checked before they reach nft: they come from the network, and nft takes text, so only
 * a well-formed CIDR, a known protocol and numeric ports or ranges ever get into a rule.
 */
import { isIP } from 'node:net';

export type Protocol = 'tcp' | 'udp' | 'icmp' | 'any';

export interface Destination {
  cidr: string;
  protocol: Protocol;
  /** "443" or "8000-8100"; empty means every port of the protocol. */
  ports: string[];
}

const PROTOCOLS = new Set<Protocol>(['tcp', 'udp', 'icmp', 'any']);

export class DestinationError extends Error {}

/** "10.0.0.0/8" or a bare address (a /32 or /128); returns the normalised form. */
export function checkCidr(value: unknown): string {
  if (typeof value !== 'string') throw new DestinationError('a destination needs a cidr');
  const [address, bits, extra] = value.split('/');
  const family = isIP(address);
  const max = family === 4 ? 32 : 128;
  if (!family || extra !== undefined) throw new DestinationError(`"${value}" is not an IP address or CIDR`);
  if (bits === undefined) return `${address}/${max}`;
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) throw new DestinationError(`"${value}" has a bad prefix length`);
  return `${address}/${Number(bits)}`;
}

function checkPort(value: unknown): string {
  const text = String(value);
  const match = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text);
  const [low, high] = match ? [Number(match[1]), Number(match[2] ?? match[1])] : [0, 0];
  if (!match || low < 1 || high > 65535 || low > high) throw new DestinationError(`"${text}" is not a port or a port range`);
  return low === high ? String(low) : `${low}-${high}`;
}

/** Destinations a gateway can enforce; fqdn-only ones are left out (the gateway has no name to match on). */
export function parseDestinations(value: unknown): Destination[] {
  if (!Array.isArray(value)) throw new DestinationError('destinations must be a list');
  return value
    .filter((entry) => entry && typeof entry === 'object' && (entry as { cidr?: unknown }).cidr !== undefined)
    .map((entry) => {
      const { cidr, protocol = 'any', ports = [] } = entry as { cidr: unknown; protocol?: unknown; ports?: unknown };
      if (!PROTOCOLS.has(protocol as Protocol)) throw new DestinationError(`protocol must be tcp, udp, icmp or any, got "${String(protocol)}"`);
      if (!Array.isArray(ports)) throw new DestinationError('ports must be a list');
      return { cidr: checkCidr(cidr), protocol: protocol as Protocol, ports: ports.map(checkPort) };
    });
}

/** The same destinations in a stable order, so an unchanged grant is recognised as unchanged. */
export function destinationKey(destinations: Destination[]): string {
  return JSON.stringify(destinations.map((d) => [d.cidr, d.protocol, [...d.ports].sort()]).sort());
}
