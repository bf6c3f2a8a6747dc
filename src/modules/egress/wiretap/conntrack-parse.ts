/** One conntrack entry as the wiretap needs it: the original direction's tuple and both directions' counters. */
export interface ConntrackFlow {
  /** conntrack's own id (`-o id`), else the original tuple. */
  flow_id: string;
  /** IP protocol number, as Neuwerk's wiretap events carry it (6 tcp, 17 udp, 1 icmp, 58 icmpv6...). */
  proto: number;
  src_ip: string;
  dst_ip: string;
  /** null for protocols without ports (icmp). */
  src_port: number | null;
  dst_port: number | null;
  /** Packets in the original direction (client to server); 0 when accounting (nf_conntrack_acct) is off. */
  packets_out: number;
  /** Packets in the reply direction. */
  packets_in: number;
}

// Keys that follow both tuples; an `id=` after one of them is conntrack's id, not an ICMP echo id.
const TRAILER_KEYS = new Set(['mark', 'use', 'secctx', 'helper', 'delta-time', 'timestamp']);

/**
 * Parses `conntrack -L [-o extended,id]` text, one entry a line:
 *
 *   [ipv4 2] tcp 6 431999 ESTABLISHED src=A dst=B sport=P dport=Q packets=4 bytes=221 src=B dst=A sport=Q dport=P packets=3 bytes=166 [ASSURED] mark=0 use=1 id=3102302497
 *
 * Lines that are not entries (the summary conntrack prints, blank lines) are skipped.
 */
export function parseConntrack(text: string): ConntrackFlow[] {
  return parseConntrackEntries(text).map((e) => e.flow);
}

/** A flow and whether its reply tuple differs from the original reversed (the gateway rewrote an address: NAT). */
export interface ConntrackEntry {
  flow: ConntrackFlow;
  natted: boolean;
}

export function parseConntrackEntries(text: string): ConntrackEntry[] {
  const entries: ConntrackEntry[] = [];
  for (const line of text.split('\n')) {
    const entry = parseLine(line.trim());
    if (entry) entries.push(entry);
  }
  return entries;
}

function parseLine(line: string): ConntrackEntry | null {
  const tokens = line.split(/\s+/);
  const firstPair = tokens.findIndex((t) => t.includes('='));
  if (firstPair < 0) return null;
  const head = tokens.slice(0, firstPair);
  if (head[0] === 'ipv4' || head[0] === 'ipv6') head.splice(0, 2);
  if (!/^[a-z0-9-]+$/.test(head[0] ?? '') || !/^\d+$/.test(head[1] ?? '')) return null;
  // conntrack prints the protocol's name (or "unknown") and then its number.
  const proto = Number(head[1]);
  const protoName = head[0] === 'unknown' ? head[1] : head[0];

  const tuples: Record<string, string>[] = [];
  let trailer = false;
  let conntrackId: string | null = null;
  for (const token of tokens.slice(firstPair)) {
    const eq = token.indexOf('=');
    if (eq < 0) continue; // [ASSURED], [UNREPLIED], [OFFLOAD]
    const key = token.slice(0, eq);
    const value = token.slice(eq + 1);
    if (TRAILER_KEYS.has(key)) trailer = true;
    if (trailer) {
      if (key === 'id') conntrackId = value;
      continue;
    }
    if (key === 'src') tuples.push({});
    const tuple = tuples.at(-1);
    if (tuple && !(key in tuple)) tuple[key] = value;
  }
  const [orig, reply = {}] = tuples;
  if (!orig?.src || !orig.dst) return null;

  const port = (v: string | undefined) => (v !== undefined && /^\d+$/.test(v) ? Number(v) : null);
  const src_port = port(orig.sport);
  const dst_port = port(orig.dport);
  const natted = reply.src !== undefined && (reply.src !== orig.dst || reply.dst !== orig.src);
  const flow = {
    flow_id: conntrackId ?? `${protoName}/${orig.src}/${src_port ?? orig.id ?? ''}/${orig.dst}/${dst_port ?? ''}`,
    proto,
    src_ip: orig.src,
    dst_ip: orig.dst,
    src_port,
    dst_port,
    packets_out: Number(orig.packets ?? 0) || 0,
    packets_in: Number(reply.packets ?? 0) || 0,
  };
  return { flow, natted };
}
