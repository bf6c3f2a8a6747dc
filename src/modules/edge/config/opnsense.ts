import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { XMLParser } from 'fast-xml-parser';
import { errors } from '../../../core/errors.js';

/**
 * OPNsense (and pfSense) config.xml translated into the edge sections' entries, in the sections' export shapes
 * (AiFw's Rule and NatRule as its API answers them: rule_match, redirect {address, port}; AiFw's AliasConfig; static
 * routes, VLANs and interface configs as the network part's API takes them). Nothing is guessed: what has no faithful
 * translation lands in `skipped` with the reason, and the plan says
 * item by item what the import would create. Pure: reads nothing but its arguments.
 */

type Xml = Record<string, any>;

export interface OpnPlanRule {
  action: string; direction: string; interface: string | null; ip_version: string; protocol: string;
  src: string; src_port: string | null; dst: string; dst_port: string | null; disabled: boolean; log: boolean;
  label: string | null; skip_reason: string | null;
}
export interface OpnPlanNat { kind: string; interface: string; protocol: string; src: string; dst: string; redirect: string; label: string | null; skip_reason: string | null }
export interface OpnPlanAlias { name: string; kind: string; entries: string[]; skip_reason: string | null }
export interface OpnPlanRoute { network: string; gateway: string; gateway_name: string; disabled: boolean; skip_reason: string | null }
export interface OpnPlanVlan { device: string; parent: string; vlan_id: number; description: string | null; skip_reason: string | null }
export interface OpnPlanInterface { logical: string; device: string; role: string; ipv4_mode: string; ipv4_address: string | null; skip_reason: string | null }

export interface OpnsenseTranslation {
  kind: 'opnsense' | 'pfsense';
  version: string | null;
  system: { hostname: string | null; domain: string | null; dns_servers: string[]; timezone: string | null };
  counts: {
    rules: number; aliases: number; gateways: number; nat_port_forwards: number; nat_outbound: number; nat_one_to_one: number;
    static_routes: number; dns_servers: number; vlans: number; interfaces: number;
  };
  /** Devices the config's entries name, after the interface map. */
  interfaces_found: string[];
  /** The sections' new entries, by section name. */
  sections: {
    aliases: Record<string, unknown>[]; rules: Record<string, unknown>[]; nat: Record<string, unknown>[];
    static_routes: Record<string, unknown>[]; vlans: Record<string, unknown>[]; interfaces: Record<string, unknown>[];
  };
  applied: { rules: number; aliases: number; nat_port_forwards: number; nat_outbound: number; nat_one_to_one: number; static_routes: number; vlans: number; interfaces: number };
  plan: { rules: OpnPlanRule[]; nat: OpnPlanNat[]; aliases: OpnPlanAlias[]; routes: OpnPlanRoute[]; vlans: OpnPlanVlan[]; interfaces: OpnPlanInterface[] };
  diff: { alias_name_collisions: string[]; duplicate_rule_signatures: number; nat_external_port_collisions: string[] };
  /** What could not be translated, one line each with the reason. */
  skipped: string[];
}

export interface TranslateContext {
  /** OPNsense device name -> name on this box. */
  interfaceMap: Record<string, string>;
  /** Alias names already on the box (an imported alias of the same name is skipped). */
  existingAliases: Set<string>;
  /** "<parent>.<vlan_id>" of VLANs already on the box. */
  existingVlans: Set<string>;
  /** Highest rule priority on the box: imported rules follow it, in the file's order. */
  lastPriority: number;
}

const ARRAYS = new Set([
  'filter.rule', 'nat.rule', 'nat.outbound.rule', 'nat.onetoone', 'aliases.alias', 'OPNsense.Firewall.Alias.aliases.alias',
  'vlans.vlan', 'staticroutes.route', 'gateways.gateway_item', 'OPNsense.Gateways.gateway_item', 'system.dnsserver',
]);

const PORT_NAMES: Record<string, number> = {
  ftp: 21, ssh: 22, telnet: 23, smtp: 25, domain: 53, dns: 53, http: 80, www: 80, pop3: 110, ntp: 123, imap: 143, snmp: 161,
  ldap: 389, https: 443, smtps: 465, submission: 587, imaps: 993, pop3s: 995, openvpn: 1194, 'ms-sql-s': 1433, mysql: 3306, rdp: 3389,
};

const text = (v: unknown): string | null => {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v).trim();
  if (typeof v === 'object' && '#text' in (v as Xml)) return String((v as Xml)['#text']).trim();
  return '';
};
/** `<disabled>1</disabled>`, `<log/>`, `<enable>1</enable>`: present and not "0". */
const flag = (v: unknown): boolean => v !== undefined && v !== null && text(v) !== '0';
const list = <T>(v: T | T[] | undefined | null | ''): T[] => (v === undefined || v === null || v === '' ? [] : Array.isArray(v) ? v : [v]);

function isCidr(s: string): boolean {
  const [ip, len, ...rest] = s.split('/');
  if (rest.length || !isIP(ip)) return false;
  if (len === undefined) return true;
  if (!/^\d{1,3}$/.test(len)) return false;
  return Number(len) <= (isIP(ip) === 4 ? 32 : 128);
}

/** The network an address/prefix sits in: 192.168.1.1/24 -> 192.168.1.0/24 (IPv4; IPv6 kept as given). */
function networkOf(ip: string, prefix: number): string {
  if (isIP(ip) !== 4) return `${ip}/${prefix}`;
  const n = ip.split('.').reduce((acc, o) => (acc << 8) + Number(o), 0) >>> 0;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const net = (n & mask) >>> 0;
  return `${[24, 16, 8, 0].map((s) => (net >>> s) & 255).join('.')}/${prefix}`;
}

/** Labels reach nftables comments: keep a plain, bounded subset of the description. */
export function safeLabel(descr: string | null): string | null {
  if (!descr) return null;
  const cleaned = descr.replace(/[^A-Za-z0-9 _.,:/()+@#-]/g, '_').replace(/\s+/g, ' ').trim().slice(0, 63);
  return cleaned || null;
}

export function parseOpnsenseXml(xml: string): { root: Xml; kind: 'opnsense' | 'pfsense' } {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw errors.validation('config.xml must not carry a DOCTYPE or entity declarations');
  let doc: Xml;
  try {
    const parser = new XMLParser({
      ignoreAttributes: false, attributeNamePrefix: '@_', parseTagValue: false, parseAttributeValue: false, trimValues: true,
      processEntities: true, htmlEntities: false,
      isArray: (_name, jpath) => ARRAYS.has(String(jpath).split('.').slice(1).join('.')),
    });
    doc = parser.parse(xml, true) as Xml;
  } catch (err) {
    throw errors.validation(`not well-formed XML: ${(err as Error).message}`.slice(0, 300));
  }
  if (doc && typeof doc.opnsense === 'object') return { root: doc.opnsense, kind: 'opnsense' };
  if (doc && typeof doc.pfsense === 'object') return { root: doc.pfsense, kind: 'pfsense' };
  throw errors.validation('not an OPNsense or pfSense configuration (the root element is neither <opnsense> nor <pfsense>)');
}

interface LogicalInterface { logical: string; device: string; ipaddr: string | null; subnet: number | null; ipaddrv6: string | null; subnetv6: string | null; gateway: string | null; mtu: number | null; enabled: boolean; descr: string | null }

export function translateOpnsense(xml: string, ctx: TranslateContext): OpnsenseTranslation {
  const { root, kind } = parseOpnsenseXml(xml);
  const skipped: string[] = [];
  const found = new Set<string>();
  const mapDevice = (device: string) => ctx.interfaceMap[device] || device;

  // ---- interfaces and VLANs: logical names (wan, lan, opt1) to devices on this box
  const vlanRows = list<Xml>(root.vlans?.vlan);
  const vlanByDevice = new Map<string, { parent: string; tag: number; descr: string | null }>();
  for (const v of vlanRows) {
    const device = text(v.vlanif) || `${text(v.if)}_vlan${text(v.tag)}`;
    const tag = Number(text(v.tag));
    vlanByDevice.set(device, { parent: text(v.if) ?? '', tag, descr: text(v.descr) || null });
  }
  /** A device named in the file, as this box names it: a VLAN is <parent>.<id> on Linux. */
  const boxDevice = (device: string): string => {
    const vlan = vlanByDevice.get(device);
    return vlan ? `${mapDevice(vlan.parent)}.${vlan.tag}` : mapDevice(device);
  };

  const logical = new Map<string, LogicalInterface>();
  for (const [name, raw] of Object.entries<Xml>(root.interfaces ?? {})) {
    if (!raw || typeof raw !== 'object') continue;
    const ipaddr = text(raw.ipaddr) || null;
    const subnet = text(raw.subnet);
    logical.set(name, {
      logical: name, device: text(raw.if) ?? '', ipaddr, subnet: subnet && /^\d+$/.test(subnet) ? Number(subnet) : null,
      ipaddrv6: text(raw.ipaddrv6) || null, subnetv6: text(raw.subnetv6) || null, gateway: text(raw.gateway) || null,
      mtu: text(raw.mtu) && /^\d+$/.test(text(raw.mtu)!) ? Number(text(raw.mtu)) : null, enabled: flag(raw.enable), descr: text(raw.descr) || null,
    });
  }
  const deviceOf = (name: string): string | null => {
    const iface = logical.get(name);
    if (!iface || !iface.device) return null;
    const device = boxDevice(iface.device);
    found.add(device);
    return device;
  };

  // ---- gateways (legacy <gateways> and OPNsense's <OPNsense><Gateways>)
  const gateways = new Map<string, { address: string; interface: string | null }>();
  for (const g of [...list<Xml>(root.gateways?.gateway_item), ...list<Xml>(root.OPNsense?.Gateways?.gateway_item)]) {
    const name = text(g.name);
    if (name) gateways.set(name, { address: text(g.gateway) ?? '', interface: text(g.interface) || null });
  }

  // ---- aliases
  const aliasRows: Array<{ name: string; type: string; entries: string[]; descr: string | null; disabled: boolean }> = [];
  for (const a of list<Xml>(root.OPNsense?.Firewall?.Alias?.aliases?.alias)) {
    aliasRows.push({
      name: text(a.name) ?? '', type: (text(a.type) ?? '').toLowerCase(),
      entries: (text(a.content) ?? '').split(/[\n,]+/).map((s) => s.trim()).filter(Boolean),
      descr: text(a.description) || null, disabled: a.enabled !== undefined && !flag(a.enabled),
    });
  }
  for (const a of list<Xml>(root.aliases?.alias)) {
    aliasRows.push({
      name: text(a.name) ?? '', type: (text(a.type) ?? '').toLowerCase(),
      entries: (text(a.address) ?? text(a.url) ?? '').split(/\s+/).map((s) => s.trim()).filter(Boolean),
      descr: text(a.descr) || null, disabled: false,
    });
  }
  const aliases: Record<string, unknown>[] = [];
  const planAliases: OpnPlanAlias[] = [];
  const aliasKinds = new Map<string, string>();
  const collisions: string[] = [];
  for (const a of aliasRows) {
    let skip: string | null = null;
    const type = a.type === 'host' ? 'host' : a.type === 'network' ? 'network' : a.type === 'port' ? 'port' : a.type === 'url' || a.type === 'urltable' ? 'url_table' : null;
    if (a.disabled) skip = 'disabled in source config';
    else if (!/^[A-Za-z0-9_-]{1,31}$/.test(a.name)) skip = 'invalid alias name (1-31 of A-Z a-z 0-9 _ -)';
    else if (ctx.existingAliases.has(a.name)) {
      skip = 'name collides with an existing alias';
      collisions.push(a.name);
    } else if (!type) skip = `alias type '${a.type}' not supported`;
    else if (type === 'host' && a.entries.some((e) => !isIP(e))) skip = `host entries must be IP addresses (${a.entries.filter((e) => !isIP(e)).slice(0, 3).join(', ')} are not)`;
    else if (type === 'network' && a.entries.some((e) => !isCidr(e))) skip = `network entries must be CIDRs (${a.entries.filter((e) => !isCidr(e)).slice(0, 3).join(', ')} are not)`;
    else if (type === 'port' && a.entries.some((e) => !/^\d{1,5}([:-]\d{1,5})?$/.test(e))) skip = 'port entries must be numbers or ranges';
    planAliases.push({ name: a.name, kind: a.type, entries: a.entries, skip_reason: skip });
    if (skip) {
      skipped.push(`alias '${a.name}' (${skip})`);
      continue;
    }
    aliasKinds.set(a.name, type!);
    aliases.push({ id: randomUUID(), name: a.name, alias_type: type, entries: type === 'port' ? a.entries.map((e) => e.replace(':', '-')) : a.entries, description: a.descr, enabled: true });
  }
  const knownAlias = (name: string) => aliasKinds.has(name) || ctx.existingAliases.has(name);

  // ---- endpoints and ports
  const endpoint = (ep: Xml | undefined): { addr: string; invert: boolean; skip: string | null } => {
    if (!ep || typeof ep !== 'object' || 'any' in ep) return { addr: 'any', invert: ep ? flag(ep.not) && !('any' in ep) : false, skip: null };
    const invert = 'not' in ep;
    const address = text(ep.address);
    if (address) {
      if (isCidr(address)) return { addr: address, invert, skip: null };
      if (knownAlias(address)) return { addr: `<${address}>`, invert, skip: null };
      return { addr: address, invert, skip: `address '${address}' is not an IP/CIDR and no alias matches` };
    }
    const network = text(ep.network);
    if (network) {
      if (network === 'any') return { addr: 'any', invert, skip: null };
      if (isCidr(network)) return { addr: network, invert, skip: null };
      if (knownAlias(network)) return { addr: `<${network}>`, invert, skip: null };
      if (network === '(self)') return { addr: network, invert, skip: "'(self)' (this firewall's own addresses) has no single-address translation" };
      const ipSuffix = network.endsWith('ip') ? network.slice(0, -2) : null;
      const iface = logical.get(ipSuffix ?? network);
      if (iface) {
        if (!iface.ipaddr || !isIP(iface.ipaddr) || iface.subnet === null) {
          return { addr: network, invert, skip: `network keyword '${network}' needs a static address on ${iface.logical} (it is ${iface.ipaddr ?? 'unset'})` };
        }
        return { addr: ipSuffix ? iface.ipaddr : networkOf(iface.ipaddr, iface.subnet), invert, skip: null };
      }
      return { addr: network, invert, skip: `network keyword '${network}' has no equivalent` };
    }
    return { addr: 'any', invert, skip: null };
  };
  const ports = (spec: string | null): { start: number | null; end: number | null; alias?: string; skip: string | null } => {
    if (!spec) return { start: null, end: null, skip: null };
    if (aliasKinds.get(spec) === 'port') return { start: null, end: null, alias: spec, skip: null };
    const named = PORT_NAMES[spec.toLowerCase()];
    if (named) return { start: named, end: named, skip: null };
    const m = /^(\d{1,5})(?:[-:](\d{1,5}))?$/.exec(spec);
    if (m) {
      const [start, end] = [Number(m[1]), Number(m[2] ?? m[1])];
      if (start < 1 || end > 65535 || start > end) return { start: null, end: null, skip: `port spec '${spec}' is out of range` };
      return { start, end, skip: null };
    }
    return { start: null, end: null, skip: `port spec '${spec}' not parseable as number/range` };
  };
  const range = (p: { start: number | null; end: number | null }) => (p.start === null ? null : { start: p.start, end: p.end ?? p.start });
  const protocolOf = (p: string | null): string => {
    const v = (p ?? 'any').toLowerCase();
    return v === 'tcp/udp' ? 'tcpudp' : v === 'ipv6-icmp' ? 'icmp6' : v || 'any';
  };

  // ---- filter rules
  const rules: Record<string, unknown>[] = [];
  const planRules: OpnPlanRule[] = [];
  const signatures = new Set<string>();
  let duplicates = 0;
  let priority = ctx.lastPriority;
  for (const r of list<Xml>(root.filter?.rule)) {
    const type = (text(r.type) ?? 'pass').toLowerCase();
    const action = type === 'reject' ? 'block_return' : type === 'block' ? 'block_drop' : type === 'pass' ? 'pass' : null;
    const names = (text(r.interface) ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const floating = flag(r.floating) && text(r.floating) !== 'no';
    const direction = (text(r.direction) ?? 'in').toLowerCase();
    const ipv = (text(r.ipprotocol) ?? 'inet').toLowerCase();
    const ipVersion = ipv === 'inet6' ? 'inet6' : ipv === 'inet46' ? 'both' : 'inet';
    const protocol = protocolOf(text(r.protocol));
    const src = endpoint(r.source);
    const dst = endpoint(r.destination);
    const srcPortSpec = text(r.source?.port) || null;
    const dstPortSpec = text(r.destination?.port) || null;
    const sp = ports(srcPortSpec);
    const dp = ports(dstPortSpec);
    const label = safeLabel(text(r.descr));
    const disabled = flag(r.disabled);
    const log = flag(r.log);
    for (const name of names.length ? names : [null]) {
      const device = name === null ? null : deviceOf(name);
      let skip = src.skip ?? dst.skip ?? sp.skip ?? dp.skip;
      if (!action) skip ??= `rule type '${type}' not supported`;
      if (name !== null && device === null) skip ??= `interface '${name}' is not defined in <interfaces>`;
      if (!['in', 'out', 'any'].includes(direction)) skip ??= `direction '${direction}' not supported`;
      if ((srcPortSpec || dstPortSpec) && !['tcp', 'udp', 'tcpudp'].includes(protocol)) skip ??= `port matching requires tcp/udp protocol; rule has protocol '${protocol}'`;
      planRules.push({
        action: action ?? type, direction, interface: device, ip_version: ipVersion, protocol, src: `${src.invert ? '!' : ''}${src.addr}`,
        src_port: srcPortSpec, dst: `${dst.invert ? '!' : ''}${dst.addr}`, dst_port: dstPortSpec, disabled, log, label, skip_reason: skip,
      });
      const what = `rule '${label ?? text(r.descr) ?? '(no description)'}'${name ? ` on ${name}` : ''}`;
      if (skip) {
        skipped.push(`${what} (${skip})`);
        continue;
      }
      const signature = [action, direction, device, protocol, src.addr, src.invert, sp.start, sp.end, dst.addr, dst.invert, dp.start, dp.end].join('|');
      if (signatures.has(signature)) duplicates++;
      signatures.add(signature);
      // The firewall section's shape (AiFw's Rule as the API answers it): rule_match, state_options.
      rules.push({
        id: randomUUID(), priority: ++priority, action, direction, ip_version: ipVersion, interface: device, protocol,
        rule_match: { src_addr: src.addr, src_port: range(sp), dst_addr: dst.addr, dst_port: range(dp) },
        src_invert: src.invert, dst_invert: dst.invert, log, quick: floating ? flag(r.quick) : true, label, description: text(r.descr) || null,
        gateway: null, state_options: { tracking: action === 'pass' ? 'keep_state' : 'none' }, status: disabled ? 'disabled' : 'active', schedule_id: null,
        ...(sp.alias ? { src_port_alias: sp.alias } : {}), ...(dp.alias ? { dst_port_alias: dp.alias } : {}),
      });
    }
  }

  // ---- NAT: port forwards, outbound, 1:1
  const nat: Record<string, unknown>[] = [];
  const planNat: OpnPlanNat[] = [];
  const applied = { rules: rules.length, aliases: aliases.length, nat_port_forwards: 0, nat_outbound: 0, nat_one_to_one: 0, static_routes: 0, vlans: 0, interfaces: 0 };
  const forwardKeys = new Map<string, number>();
  const natBase = (label: string | null, disabled: boolean) => ({ id: randomUUID(), label, status: disabled ? 'disabled' : 'active' });
  for (const n of list<Xml>(root.nat?.rule)) {
    const name = text(n.interface) ?? 'wan';
    const device = deviceOf(name);
    const protocol = protocolOf(text(n.protocol));
    const src = endpoint(n.source);
    const dst = endpoint(n.destination);
    const target = text(n.target) ?? '';
    const dp = ports(text(n.destination?.port) || null);
    const lp = ports(text(n['local-port']) || null);
    const label = safeLabel(text(n.descr));
    const disabled = flag(n.disabled);
    // The WAN's own address: "any" on that interface (a DHCP address is not known ahead).
    const dstAddr = dst.skip && /ip$/.test(text(n.destination?.network) ?? '') ? 'any' : dst.addr;
    let skip: string | null = null;
    if (disabled) skip = 'disabled';
    else if (!device) skip = `interface '${name}' is not defined in <interfaces>`;
    else if (!isIP(target)) skip = `redirect target '${target}' is not an IP`;
    else if (src.skip) skip = src.skip;
    else if (dst.skip && dstAddr !== 'any') skip = dst.skip;
    else if (dp.skip || lp.skip) skip = dp.skip ?? lp.skip;
    else if (dp.start === null && lp.start === null) skip = 'a port forward needs <destination><port> or <local-port>; full-address redirects are 1:1 NAT';
    else if (!['tcp', 'udp', 'tcpudp'].includes(protocol)) skip = `port forwarding needs tcp/udp, not '${protocol}'`;
    const redirectPort = lp.start !== null ? lp : dp;
    planNat.push({
      kind: 'dnat', interface: device ?? name, protocol, src: src.addr, dst: `${dstAddr}${dp.start !== null ? `:${text(n.destination?.port)}` : ''}`,
      redirect: `${target}${redirectPort.start !== null ? `:${redirectPort.start}` : ''}`, label, skip_reason: skip,
    });
    if (skip) {
      skipped.push(`port forward '${label ?? text(n.descr) ?? target}' (${skip})`);
      continue;
    }
    const key = `${device}|${protocol}|${dp.start}-${dp.end}`;
    forwardKeys.set(key, (forwardKeys.get(key) ?? 0) + 1);
    applied.nat_port_forwards++;
    nat.push({
      ...natBase(label, false), nat_type: 'dnat', interface: device, protocol, src_addr: src.addr, src_port: null, dst_addr: dstAddr, dst_port: range(dp),
      redirect: { address: target, port: range(redirectPort) },
    });
  }

  const outbound = root.nat?.outbound ?? {};
  const mode = (text(outbound.mode) ?? 'automatic').toLowerCase();
  const outboundRules = list<Xml>(outbound.rule);
  // Manual rules first: in hybrid mode OPNsense evaluates them before the automatic ones.
  if (mode !== 'disabled' && mode !== 'automatic') {
    for (const n of outboundRules) {
      const name = text(n.interface) ?? 'wan';
      const device = deviceOf(name);
      const src = endpoint(n.source);
      const dst = endpoint(n.destination);
      const target = text(n.target) || null;
      const label = safeLabel(text(n.descr));
      const natType = target ? 'snat' : 'masquerade';
      let skip: string | null = null;
      if (flag(n.disabled)) skip = 'disabled';
      else if (flag(n.nonat)) skip = '"do not NAT" exceptions are not translated';
      else if (!device) skip = `interface '${name}' is not defined in <interfaces>`;
      else if (src.skip ?? dst.skip) skip = src.skip ?? dst.skip;
      else if (target && !isIP(target)) skip = `translation target '${target}' is not an IP`;
      planNat.push({ kind: natType, interface: device ?? name, protocol: protocolOf(text(n.protocol)), src: src.addr, dst: dst.addr, redirect: target ?? `(${device})`, label, skip_reason: skip });
      if (skip) {
        skipped.push(`outbound NAT '${label ?? src.addr}' (${skip})`);
        continue;
      }
      applied.nat_outbound++;
      nat.push({
        ...natBase(label, false), nat_type: natType, interface: device, protocol: protocolOf(text(n.protocol)),
        src_addr: src.addr, src_port: null, dst_addr: dst.addr, dst_port: null, redirect: { address: target ?? 'any', port: null },
      });
    }
  } else if (mode === 'automatic' && outboundRules.length) {
    skipped.push(`${outboundRules.length} manual outbound NAT rule(s) (outbound mode is automatic: OPNsense ignores them too)`);
  }

  if (mode === 'automatic' || mode === 'hybrid') {
    // OPNsense's automatic rules: every static inside network leaves each gateway interface masqueraded.
    const wans = [...logical.values()].filter((i) => i.enabled && (i.gateway || i.ipaddr === 'dhcp' || i.logical === 'wan'));
    const insides = [...logical.values()].filter((i) => i.enabled && !wans.includes(i) && i.ipaddr && isIP(i.ipaddr) && i.subnet !== null);
    for (const wan of wans) {
      for (const inside of insides) {
        const device = deviceOf(wan.logical);
        const source = networkOf(inside.ipaddr!, inside.subnet!);
        const label = safeLabel(`automatic outbound ${inside.logical} to ${wan.logical}`);
        planNat.push({ kind: 'masquerade', interface: device ?? wan.logical, protocol: 'any', src: source, dst: 'any', redirect: `(${device})`, label, skip_reason: device ? null : 'no device' });
        if (!device) continue;
        applied.nat_outbound++;
        nat.push({
          ...natBase(label, false), nat_type: 'masquerade', interface: device, protocol: 'any', src_addr: source, src_port: null,
          dst_addr: 'any', dst_port: null, redirect: { address: 'any', port: null },
        });
      }
    }
  }
  for (const n of list<Xml>(root.nat?.onetoone)) {
    const name = text(n.interface) ?? 'wan';
    const device = deviceOf(name);
    const external = text(n.external) ?? '';
    const internal = text(n.source?.address) || text(n.internal) || '';
    const label = safeLabel(text(n.descr));
    let skip: string | null = null;
    if (flag(n.disabled)) skip = 'disabled';
    else if (!device) skip = `interface '${name}' is not defined in <interfaces>`;
    else if (!isCidr(external) || !isCidr(internal)) skip = `1:1 needs IP addresses (external '${external}', internal '${internal}')`;
    planNat.push({ kind: 'binat', interface: device ?? name, protocol: 'any', src: internal, dst: 'any', redirect: external, label, skip_reason: skip });
    if (skip) {
      skipped.push(`1:1 NAT '${label ?? external}' (${skip})`);
      continue;
    }
    applied.nat_one_to_one++;
    nat.push({
      ...natBase(label, false), nat_type: 'binat', interface: device, protocol: 'any', src_addr: internal, src_port: null,
      dst_addr: 'any', dst_port: null, redirect: { address: external, port: null },
    });
  }

  // ---- static routes
  const routes: Record<string, unknown>[] = [];
  const planRoutes: OpnPlanRoute[] = [];
  for (const r of list<Xml>(root.staticroutes?.route)) {
    const network = text(r.network) ?? '';
    const gatewayName = text(r.gateway) ?? '';
    const gw = gateways.get(gatewayName);
    const address = gw?.address ?? (isIP(gatewayName) ? gatewayName : '');
    const disabled = flag(r.disabled);
    let skip: string | null = null;
    if (disabled) skip = 'disabled';
    else if (!isCidr(network)) skip = `destination '${network}' is not a CIDR`;
    else if (!isIP(address)) skip = `gateway '${gatewayName}' unresolved (${address ? 'dynamic, DHCP-derived' : 'not among the gateways'})`;
    planRoutes.push({ network, gateway: address, gateway_name: gatewayName, disabled, skip_reason: skip });
    if (skip) {
      skipped.push(`static route ${network} (${skip})`);
      continue;
    }
    applied.static_routes++;
    routes.push({
      id: randomUUID(), destination: network, gateway: address, interface: gw?.interface ? deviceOf(gw.interface) : null, metric: 0, enabled: true,
      description: safeLabel(text(r.descr)), fib: 0,
    });
  }

  // ---- VLANs and interface configurations
  const vlans: Record<string, unknown>[] = [];
  const planVlans: OpnPlanVlan[] = [];
  const ifaceByDevice = new Map([...logical.values()].map((i) => [i.device, i]));
  for (const [device, v] of vlanByDevice) {
    const parent = mapDevice(v.parent);
    let skip: string | null = null;
    if (!Number.isInteger(v.tag) || v.tag < 1 || v.tag > 4094) skip = `VLAN tag '${v.tag}' is not 1-4094`;
    else if (!/^[A-Za-z0-9_.-]{1,15}$/.test(parent)) skip = `parent '${parent}' is not an interface name`;
    else if (ctx.existingVlans.has(`${parent}.${v.tag}`)) skip = 'this VLAN already exists on the box';
    planVlans.push({ device, parent, vlan_id: v.tag, description: v.descr, skip_reason: skip });
    if (skip) {
      skipped.push(`VLAN ${device} (${skip})`);
      continue;
    }
    const iface = ifaceByDevice.get(device);
    const staticV4 = iface?.ipaddr && isIP(iface.ipaddr) && iface.subnet !== null ? `${iface.ipaddr}/${iface.subnet}` : null;
    applied.vlans++;
    found.add(parent);
    vlans.push({
      id: randomUUID(), vlan_id: v.tag, parent, ipv4_mode: iface?.ipaddr === 'dhcp' ? 'dhcp' : staticV4 ? 'static' : 'none', ipv4_address: staticV4,
      ipv6_address: iface?.ipaddrv6 && isIP(iface.ipaddrv6) && iface.subnetv6 ? `${iface.ipaddrv6}/${iface.subnetv6}` : null,
      mtu: iface?.mtu ?? null, enabled: true, description: safeLabel(v.descr),
    });
  }

  const interfaces: Record<string, unknown>[] = [];
  const planInterfaces: OpnPlanInterface[] = [];
  for (const iface of logical.values()) {
    const device = iface.device ? boxDevice(iface.device) : '';
    const ipv4Mode = iface.ipaddr === 'dhcp' ? 'dhcp' : iface.ipaddr && isIP(iface.ipaddr) ? 'static' : 'none';
    const address = ipv4Mode === 'static' && iface.subnet !== null ? `${iface.ipaddr}/${iface.subnet}` : null;
    const gateway = iface.gateway ? gateways.get(iface.gateway)?.address ?? null : null;
    let skip: string | null = null;
    if (!device) skip = 'no device (<if>)';
    else if (!/^[A-Za-z0-9_.-]{1,15}$/.test(device)) skip = `device '${device}' is not an interface name`;
    else if (ipv4Mode === 'static' && !address) skip = 'static address without a prefix length';
    else if (iface.ipaddr && ipv4Mode === 'none') skip = `IPv4 mode '${iface.ipaddr}' not supported`;
    const role = iface.logical.toLowerCase();
    planInterfaces.push({ logical: iface.logical, device, role, ipv4_mode: ipv4Mode, ipv4_address: address, skip_reason: skip });
    if (skip) {
      skipped.push(`interface ${iface.logical} (${skip})`);
      continue;
    }
    found.add(device);
    applied.interfaces++;
    interfaces.push({
      name: device, role, ipv4_mode: ipv4Mode, ipv4_address: address, gateway: gateway && isIP(gateway) ? gateway : null,
      ipv6_address: iface.ipaddrv6 && isIP(iface.ipaddrv6) && iface.subnetv6 ? `${iface.ipaddrv6}/${iface.subnetv6}` : null,
      mtu: iface.mtu, enabled: iface.enabled, description: safeLabel(iface.descr),
    });
  }

  const system = root.system ?? {};
  const dnsServers = list<unknown>(system.dnsserver).map((s) => text(s) ?? '').filter(Boolean);
  return {
    kind,
    version: text(root.version) || null,
    system: { hostname: text(system.hostname) || null, domain: text(system.domain) || null, dns_servers: dnsServers, timezone: text(system.timezone) || null },
    counts: {
      rules: list(root.filter?.rule).length, aliases: aliasRows.length, gateways: gateways.size, nat_port_forwards: list(root.nat?.rule).length,
      nat_outbound: outboundRules.length, nat_one_to_one: list(root.nat?.onetoone).length, static_routes: list(root.staticroutes?.route).length,
      dns_servers: dnsServers.length, vlans: vlanRows.length, interfaces: logical.size,
    },
    interfaces_found: [...found].sort(),
    sections: { aliases, rules, nat, static_routes: routes, vlans, interfaces },
    applied,
    plan: { rules: planRules, nat: planNat, aliases: planAliases, routes: planRoutes, vlans: planVlans, interfaces: planInterfaces },
    diff: {
      alias_name_collisions: collisions,
      duplicate_rule_signatures: duplicates,
      nat_external_port_collisions: [...forwardKeys].filter(([, n]) => n > 1).map(([k]) => k.replaceAll('|', ' ')),
    },
    skipped,
  };
}
