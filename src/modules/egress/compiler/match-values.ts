/** Parsing of the match values the policy model spells loosely: protocol names, ports and port ranges. */

const PROTOCOLS: Record<string, number> = {
  icmp: 1, igmp: 2, tcp: 6, udp: 17, gre: 47, esp: 50, ah: 51, icmpv6: 58, 'ipv6-icmp': 58, sctp: 132, udplite: 136,
};

export const PROTO = { icmp: 1, tcp: 6, udp: 17, icmpv6: 58 } as const;

/** Protocols `th dport` means something for. */
export const PORT_PROTOCOLS = [6, 17, 33, 132, 136];

/** IP protocol number of a name or number; null for "any" or absent. Throws on unknown names. */
export function protocolNumber(proto: string | number | undefined): number | null {
  if (proto === undefined || proto === null || proto === '' || proto === 'any') return null;
  if (typeof proto === 'number' || /^\d+$/.test(proto)) {
    const n = Number(proto);
    if (!Number.isInteger(n) || n < 0 || n > 255) throw new Error(`protocol number out of range: ${proto}`);
    return n;
  }
  const n = PROTOCOLS[proto.toLowerCase()];
  if (n === undefined) throw new Error(`unknown protocol: ${proto}`);
  return n;
}

export interface PortRange {
  from: number;
  to: number;
}

/**
 * Parsed ports by value, each as a list of its one range: a large policy names the same few ports in thousands of
 * rules, most of them one port. Bounded (cleared when full) since values come from users. Frozen: lists and ranges
 * are shared by every rule naming the port.
 */
const parsedPorts = new Map<number | string, PortRange[]>();
const PARSED_PORTS_MAX = 100_000;
const NO_PORTS: PortRange[] = Object.freeze([]) as unknown as PortRange[];

function portList(p: number | string): PortRange[] {
  let list = parsedPorts.get(p);
  if (!list) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(String(p));
    const from = m ? Number(m[1]) : NaN;
    const to = m?.[2] !== undefined ? Number(m[2]) : from;
    if (!m || from > 65535 || to > 65535 || from > to) throw new Error(`not a port or port range: ${p}`);
    if (parsedPorts.size >= PARSED_PORTS_MAX) parsedPorts.clear();
    list = Object.freeze([Object.freeze({ from, to })]) as PortRange[];
    parsedPorts.set(p, list);
  }
  return list;
}

/** 443 or "8000-8080" into ranges (never to be mutated: they are shared). Throws on anything else. */
export function portRanges(ports: Array<number | string> | undefined): PortRange[] {
  if (!ports?.length) return NO_PORTS;
  return ports.length === 1 ? portList(ports[0]) : ports.map((p) => portList(p)[0]);
}

export const inRanges = (ranges: PortRange[], port: number) => ranges.some((r) => port >= r.from && port <= r.to);
