import { runProcess } from '../../../core/dataplane/spawner.js';
import { errors } from '../../../core/errors.js';

/**
 * The box as iproute2 and conntrack see it. Commands run as argument vectors (never a shell), so an interface name
 * can only ever be an argument; names are also checked against NAME below before anything runs.
 */
export type Exec = (cmd: string, args: string[]) => Promise<string>;

/**
 * Runs a program on this host (tests wrap it with `ip netns exec NS`), through the data planes' spawner like nft, so
 * the once-a-second samplers never fork Rampart. Rejects with its stderr (also as `.stderr`) when it fails.
 */
export const hostExec: Exec = async (cmd, args) => {
  const failed = (why: string, stderr = '') => Object.assign(new Error(`${cmd} ${args.join(' ')}: ${why}`), { stderr });
  const { code, signal, stdout, stderr } = await runProcess([cmd, ...args], '', 15_000).catch((err: Error) => {
    throw failed(err.message);
  });
  if (code === 0) return stdout;
  throw failed(stderr.trim() || (signal ? `killed by ${signal} (the timeout is 15 s)` : `exit ${code}`), stderr);
};

/** A Linux interface name: 1-15 characters, no slash, space, colon or quote (IFNAMSIZ and dev_valid_name). */
export const IFACE_NAME = /^[A-Za-z0-9_.@-]{1,15}$/;

export function assertIfaceName(name: string, field = 'interface'): string {
  if (!IFACE_NAME.test(name) || name === '.' || name === '..') throw errors.validation(`${field}: not a valid interface name`);
  return name;
}

export interface LinkInfo {
  name: string;
  index: number;
  mac: string | null;
  mtu: number;
  up: boolean;
  operstate: string;
  kind: string | null;
  vlan_id: number | null;
  parent: string | null;
  alias: string | null;
  ipv4: Array<{ address: string; prefix: number }>;
  ipv6: Array<{ address: string; prefix: number }>;
  stats: { rx_bytes: number; tx_bytes: number; rx_packets: number; tx_packets: number; rx_errors: number; tx_errors: number };
}

interface IpLink {
  ifname: string;
  ifindex: number;
  address?: string;
  mtu: number;
  flags?: string[];
  operstate?: string;
  link?: string;
  ifalias?: string;
  linkinfo?: { info_kind?: string; info_data?: { id?: number } };
  addr_info?: Array<{ family: string; local: string; prefixlen: number; scope?: string }>;
  stats64?: { rx: { bytes: number; packets: number; errors: number }; tx: { bytes: number; packets: number; errors: number } };
}

/** Every link with its addresses and counters: `ip -d -s -j addr show`. */
export async function readLinks(exec: Exec): Promise<LinkInfo[]> {
  const rows = JSON.parse((await exec('ip', ['-d', '-s', '-j', 'addr', 'show'])) || '[]') as IpLink[];
  return rows.map((row) => {
    const addrs = row.addr_info ?? [];
    const s = row.stats64;
    return {
      name: row.ifname,
      index: row.ifindex,
      mac: row.address && row.address !== '00:00:00:00:00:00' ? row.address : null,
      mtu: row.mtu,
      up: (row.flags ?? []).includes('UP'),
      operstate: (row.operstate ?? 'UNKNOWN').toLowerCase(),
      kind: row.linkinfo?.info_kind ?? null,
      vlan_id: row.linkinfo?.info_kind === 'vlan' ? (row.linkinfo.info_data?.id ?? null) : null,
      parent: row.link ?? null,
      alias: row.ifalias ?? null,
      ipv4: addrs.filter((a) => a.family === 'inet').map((a) => ({ address: a.local, prefix: a.prefixlen })),
      ipv6: addrs.filter((a) => a.family === 'inet6').map((a) => ({ address: a.local, prefix: a.prefixlen })),
      stats: {
        rx_bytes: s?.rx.bytes ?? 0, tx_bytes: s?.tx.bytes ?? 0, rx_packets: s?.rx.packets ?? 0, tx_packets: s?.tx.packets ?? 0,
        rx_errors: s?.rx.errors ?? 0, tx_errors: s?.tx.errors ?? 0,
      },
    };
  });
}

export interface KernelRoute {
  destination: string;
  gateway: string | null;
  flags: string;
  interface: string | null;
  metric: number | null;
  protocol: string | null;
}

/** The main routing table, IPv4 and IPv6: `ip -j route show` (netstat -rn's rows). */
export async function readRoutes(exec: Exec): Promise<KernelRoute[]> {
  const out: KernelRoute[] = [];
  for (const family of ['-4', '-6']) {
    const rows = JSON.parse((await exec('ip', [family, '-j', 'route', 'show', 'table', 'main'])) || '[]') as Array<Record<string, unknown>>;
    for (const r of rows) {
      const flags = ['U', r.gateway ? 'G' : '', String(r.dst).includes('/') || r.dst === 'default' ? '' : 'H', r.protocol === 'static' ? 'S' : ''].join('');
      out.push({
        destination: String(r.dst), gateway: (r.gateway as string) ?? null, flags, interface: (r.dev as string) ?? null,
        metric: typeof r.metric === 'number' ? r.metric : null, protocol: (r.protocol as string) ?? null,
      });
    }
  }
  return out;
}

export interface Flow {
  id: number;
  protocol: string;
  src_addr: string;
  src_port: number;
  dst_addr: string;
  dst_port: number;
  state: string;
  packets_in: number;
  packets_out: number;
  bytes_in: number;
  bytes_out: number;
  age_secs: number;
}

/** The conntrack table (`conntrack -L -o extended,id`), newest ids last; counters need nf_conntrack_acct. */
export async function readConnections(exec: Exec): Promise<Flow[]> {
  let text: string;
  try {
    text = await exec('conntrack', ['-L', '-o', 'extended,id']);
  } catch (err) {
    // An empty table makes conntrack print its summary on stderr and exit 0; a missing module is an empty table too.
    if (/0 flow entries/.test(String((err as { stderr?: string }).stderr ?? ''))) return [];
    throw err;
  }
  return text.split('\n').map(parseFlow).filter((f): f is Flow => f !== null);
}

/** One line of `conntrack -L -o extended,id`. The first tuple is the original direction, the second the reply. */
export function parseFlow(line: string): Flow | null {
  const words = line.trim().split(/\s+/);
  if (words.length < 5 || !words[0]) return null;
  const protocol = words[2]!;
  // "ipv4 2 tcp 6 431999 ESTABLISHED src=..." : a state word follows the timeout for TCP (and SCTP, DCCP) only.
  const state = /^[A-Z_]+$/.test(words[5] ?? '') ? words[5]! : protocol === 'tcp' ? 'UNKNOWN' : 'ACTIVE';
  const kv = (key: string, nth: number) => {
    let seen = 0;
    for (const w of words) {
      if (w.startsWith(`${key}=`) && seen++ === nth) return w.slice(key.length + 1);
    }
    return undefined;
  };
  const src = kv('src', 0);
  const dst = kv('dst', 0);
  if (!src || !dst) return null;
  const num = (v: string | undefined) => (v === undefined ? 0 : Number(v) || 0);
  return {
    id: num(kv('id', 0)),
    protocol,
    src_addr: src,
    src_port: num(kv('sport', 0)),
    dst_addr: dst,
    dst_port: num(kv('dport', 0)),
    state,
    packets_out: num(kv('packets', 0)),
    bytes_out: num(kv('bytes', 0)),
    packets_in: num(kv('packets', 1)),
    bytes_in: num(kv('bytes', 1)),
    // conntrack keeps no start time unless nf_conntrack_timestamp is on; the remaining timeout is not an age.
    age_secs: 0,
  };
}
