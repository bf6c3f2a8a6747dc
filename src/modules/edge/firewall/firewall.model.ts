/**
 * The firewall's objects as AiFw shapes them (rules, aliases, schedules, NAT, geo-IP), and the parsing of every
 * spelling AiFw accepts into one canonical form. Pure: no database, no HTTP. Every name, label and interface that
 * reaches the nftables text is checked here against a strict pattern, so nothing a client sends can change the
 * meaning of the compiled script.
 */
import { isIP } from 'node:net';
import { errors } from '../../../core/errors.js';

export type Action = 'pass' | 'block' | 'block_drop' | 'block_return';
export type Direction = 'in' | 'out' | 'any';
export type Protocol = 'tcp' | 'udp' | 'icmp' | 'icmp6' | 'tcp/udp' | 'esp' | 'ah' | 'gre' | 'any';
export type Tracking = 'none' | 'keep_state' | 'modulate_state' | 'synproxy_state';
export type Status = 'active' | 'disabled';

export interface PortRange {
  start: number;
  end: number;
}

export interface Rule {
  id: string;
  priority: number;
  action: Action;
  direction: Direction;
  ip_version: 'inet' | 'inet6' | 'both';
  interface: string | null;
  protocol: Protocol;
  rule_match: { src_addr: string; src_port: PortRange | null; dst_addr: string; dst_port: PortRange | null };
  src_invert: boolean;
  dst_invert: boolean;
  log: boolean;
  quick: boolean;
  label: string | null;
  description: string | null;
  gateway: string | null;
  state_options: { tracking: Tracking; policy: null; adaptive_timeouts: null; timeout_tcp: null; timeout_udp: null; timeout_icmp: null };
  status: Status;
  schedule_id: string | null;
  /** Rampart: a port alias matched instead of the numeric range. */
  src_port_alias: string | null;
  dst_port_alias: string | null;
  created_at: string;
  updated_at: string;
}

export type AliasType = 'host' | 'network' | 'port' | 'url_table';
export interface Alias {
  id: string;
  name: string;
  alias_type: AliasType;
  entries: string[];
  description: string | null;
  enabled: boolean;
  /** url_table: the addresses and networks last fetched from the entries' URLs (Rampart). */
  resolved: string[];
  last_fetched_at: string | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

export interface Schedule {
  id: string;
  name: string;
  description: string | null;
  time_ranges: string;
  days_of_week: string;
  enabled: boolean;
  created_at: string;
  updated_at: string;
}

export type NatType = 'snat' | 'dnat' | 'masquerade' | 'binat';
export interface NatRule {
  id: string;
  nat_type: NatType;
  interface: string;
  protocol: Protocol;
  src_addr: string;
  src_port: PortRange | null;
  dst_addr: string;
  dst_port: PortRange | null;
  redirect: { address: string; port: PortRange | null };
  label: string | null;
  status: Status;
  created_at: string;
  updated_at: string;
}

export interface GeoRule {
  id: string;
  country: string;
  action: 'allow' | 'block';
  label: string | null;
  status: Status;
  created_at: string;
  updated_at: string;
}

const bad = (message: string) => errors.validation(message);

/** AiFw's spellings of each enum, to the canonical value. */
const ACTIONS: Record<string, Action> = {
  pass: 'pass', allow: 'pass', block: 'block',
  block_drop: 'block_drop', 'block-drop': 'block_drop', blockdrop: 'block_drop', 'block drop': 'block_drop', drop: 'block_drop',
  block_return: 'block_return', 'block-return': 'block_return', blockreturn: 'block_return', 'block return': 'block_return', reject: 'block_return',
};
const PROTOCOLS: Record<string, Protocol> = {
  tcp: 'tcp', udp: 'udp', icmp: 'icmp', icmp6: 'icmp6', 'ipv6-icmp': 'icmp6', esp: 'esp', ah: 'ah', gre: 'gre', any: 'any', '*': 'any',
  'tcp/udp': 'tcp/udp', tcpudp: 'tcp/udp', 'tcp+udp': 'tcp/udp', '{ tcp udp }': 'tcp/udp', '{tcp udp}': 'tcp/udp',
};
const TRACKING: Record<string, Tracking> = {
  none: 'none', '': 'none', keep_state: 'keep_state', 'keep-state': 'keep_state', keepstate: 'keep_state', 'keep state': 'keep_state',
  modulate_state: 'modulate_state', 'modulate-state': 'modulate_state', modulatestate: 'modulate_state', 'modulate state': 'modulate_state',
  synproxy_state: 'synproxy_state', 'synproxy-state': 'synproxy_state', synproxystate: 'synproxy_state', 'synproxy state': 'synproxy_state',
};
const NAT_TYPES: Record<string, NatType | 'nat64' | 'nat46'> = {
  snat: 'snat', nat: 'snat', dnat: 'dnat', rdr: 'dnat', masquerade: 'masquerade', masq: 'masquerade', binat: 'binat', nat64: 'nat64', nat46: 'nat46',
};

function pick<T>(table: Record<string, T>, value: unknown, what: string): T {
  const key = typeof value === 'string' ? value.trim().toLowerCase() : '';
  const found = table[key];
  if (found === undefined) throw bad(`unknown ${what}: ${JSON.stringify(value)}`);
  return found;
}

export const parseAction = (v: unknown) => pick(ACTIONS, v, 'action');
export const parseProtocol = (v: unknown) => pick(PROTOCOLS, v, 'protocol');
export const parseTracking = (v: unknown) => pick(TRACKING, v, 'state_tracking');
export function parseDirection(v: unknown): Direction {
  return pick({ in: 'in', out: 'out', any: 'any', both: 'any', '': 'any' } as Record<string, Direction>, v, 'direction');
}
export function parseStatus(v: unknown, fallback: Status): Status {
  if (v === undefined || v === null) return fallback;
  return pick({ active: 'active', enabled: 'active', disabled: 'disabled', inactive: 'disabled' } as Record<string, Status>, v, 'status');
}
export function parseNatType(v: unknown): NatType {
  const t = pick(NAT_TYPES, v, 'nat_type');
  if (t === 'nat64' || t === 'nat46') throw bad(`${t} is not supported on Linux: nftables has no stateful NAT64/NAT46 (use Jool or TAYGA)`);
  return t;
}

/** How AiFw's API writes each enum back (serde lowercase: blockdrop, blockreturn). */
export const emitAction = (a: Action) => a.replace('_', '');

/** Linux interface names: at most 15 characters, no quotes, spaces or separators. */
const IFNAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/;
export function parseInterface(v: unknown, required = false): string | null {
  if (v === undefined || v === null || v === '' || v === 'any') {
    if (required) throw bad('interface is required');
    return null;
  }
  if (typeof v !== 'string' || !IFNAME.test(v)) throw bad(`invalid interface name: ${JSON.stringify(v)}`);
  return v;
}

/** Labels and descriptions end up in nft comments: printable, no quotes, backslashes or braces. */
const LABEL = /^[A-Za-z0-9 _.,:@/+=()#-]{0,63}$/;
export function parseLabel(v: unknown, what = 'label'): string | null {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v !== 'string' || !LABEL.test(v)) throw bad(`invalid ${what}: letters, digits, spaces and _ . , : @ / + = ( ) # - only, at most 63`);
  return v;
}

/** Free text that never reaches the nft script (descriptions, schedule names): printable, at most 255. */
export function parseText(v: unknown, what: string): string | null {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v !== 'string' || v.length > 255 || /[\u0000-\u001f\u007f]/.test(v)) throw bad(`invalid ${what}: printable text, at most 255 characters`);
  return v;
}

/** Alias names become set names: 1-31 of [A-Za-z0-9_-], as AiFw. */
const ALIAS_NAME = /^[A-Za-z0-9_-]{1,31}$/;
export function parseAliasName(v: unknown): string {
  if (typeof v !== 'string' || !ALIAS_NAME.test(v)) throw bad('name must be 1-31 characters of A-Z a-z 0-9 _ -');
  return v;
}

export function parsePort(v: unknown, what: string): number {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 65535) throw bad(`${what} must be a port number 0-65535`);
  return n;
}

export function parseRange(start: unknown, end: unknown, what: string): PortRange | null {
  if (start === undefined || start === null) {
    if (end !== undefined && end !== null) throw bad(`${what}_end needs ${what}_start`);
    return null;
  }
  const s = parsePort(start, `${what}_start`);
  const e = end === undefined || end === null ? s : parsePort(end, `${what}_end`);
  if (e < s) throw bad(`${what}_end must not be below ${what}_start`);
  return { start: s, end: e };
}

/** An IP, or a network whose address has no host bits; canonical text. */
export function parseCidr(v: string): string {
  const [addr, prefix, ...rest] = v.trim().split('/');
  const family = isIP(addr);
  if (!family || rest.length) throw bad(`invalid address: ${JSON.stringify(v)}`);
  if (prefix === undefined) return addr.toLowerCase();
  const max = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max) throw bad(`invalid prefix in ${JSON.stringify(v)}`);
  return `${addr.toLowerCase()}/${Number(prefix)}`;
}

export const familyOf = (cidr: string): 4 | 6 => (cidr.includes(':') ? 6 : 4);

/** A rule address: "any", an IP, a CIDR, or an alias as "<name>" (a bare alias name is accepted too). "!" inverts. */
export function parseAddress(v: unknown, what: string): { addr: string; invert: boolean } {
  if (v === undefined || v === null || v === '') return { addr: 'any', invert: false };
  if (typeof v !== 'string') throw bad(`${what} must be a string`);
  let s = v.trim();
  let invert = false;
  if (s.startsWith('!')) {
    invert = true;
    s = s.slice(1).trim();
  }
  if (/^(any|\*|interface|interface address)$/i.test(s)) return { addr: 'any', invert };
  const table = /^<(.*)>$/.exec(s);
  if (table) return { addr: `<${parseAliasName(table[1])}>`, invert };
  if (ALIAS_NAME.test(s) && !isIP(s)) return { addr: `<${s}>`, invert };
  return { addr: parseCidr(s), invert };
}

/** Alias name referenced by an address, or null. */
export const tableOf = (addr: string) => (addr.startsWith('<') ? addr.slice(1, -1) : null);

export function parseAliasEntries(type: AliasType, entries: unknown): string[] {
  if (!Array.isArray(entries)) throw bad('entries must be an array');
  if (entries.length > 100_000) throw bad('at most 100000 entries');
  return entries.map((e) => {
    if (typeof e !== 'string') throw bad('entries must be strings');
    const s = e.trim();
    switch (type) {
      case 'host': {
        const c = parseCidr(s);
        if (c.includes('/')) throw bad(`host alias entries are single addresses: ${JSON.stringify(e)} (use a network alias)`);
        return c;
      }
      case 'network':
        return parseCidr(s);
      case 'port': {
        const m = /^(\d+)(?:[:-](\d+))?$/.exec(s);
        if (!m) throw bad(`invalid port entry: ${JSON.stringify(e)}`);
        const r = parseRange(m[1], m[2], 'port');
        return r!.start === r!.end ? String(r!.start) : `${r!.start}-${r!.end}`;
      }
      case 'url_table': {
        let url: URL;
        try {
          url = new URL(s);
        } catch {
          throw bad(`invalid URL: ${JSON.stringify(e)}`);
        }
        if (url.protocol !== 'http:' && url.protocol !== 'https:') throw bad('url_table entries are http(s) URLs');
        return url.toString();
      }
    }
  });
}

export function parseAliasType(v: unknown): AliasType {
  return pick({ host: 'host', network: 'network', port: 'port', url_table: 'url_table', urltable: 'url_table', 'url-table': 'url_table' } as Record<string, AliasType>, v, 'alias_type');
}

export function parseCountry(v: unknown): string {
  if (typeof v !== 'string' || !/^[A-Za-z]{2}$/.test(v)) throw bad('country_code must be an ISO 3166 two-letter code');
  return v.toUpperCase();
}

/** Which parts of a url_table text are kept: IPs and CIDRs, one per line, comments (#, ;) dropped. */
export function parseUrlTableText(text: string): string[] {
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    const token = line.replace(/[#;].*$/, '').trim().split(/\s+/)[0];
    if (!token) continue;
    try {
      out.add(parseCidr(token));
    } catch {
      // not an address: skipped, as the feed formats mix in other fields
    }
  }
  return [...out];
}
