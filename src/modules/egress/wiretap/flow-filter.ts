import { BlockList, isIP } from 'node:net';
import { errors } from '../../../core/errors.js';
import { protocolNumber } from '../compiler/match-values.js';
import type { FlowEvent } from './flow-tracker.js';

/** The wiretap's query parameters, each repeatable (a single value or a list). */
export interface FlowFilterQuery {
  src_cidr?: string | string[];
  dst_cidr?: string | string[];
  hostname?: string | string[];
  proto?: string | string[];
  src_port?: string | string[];
  dst_port?: string | string[];
}

export type FlowFilter = (flow: FlowEvent) => boolean;

const HOSTNAME = /^(\*\.)?[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*\.?$/i;

/**
 * Compiles the query into one predicate: values of one parameter are alternatives (any may match), different
 * parameters must all match. CIDRs or plain addresses; hostnames exact (case-insensitive) or "*.example.com" for
 * subdomains; proto a name or number (events carry the number; "any" matches every protocol, as in Neuwerk);
 * ports "443" or "1000-2000". A malformed value is a 400 naming it.
 */
export function compileFlowFilter(query: FlowFilterQuery): FlowFilter {
  const checks: FlowFilter[] = [];
  const src = cidrs(values(query.src_cidr), 'src_cidr');
  if (src) checks.push((f) => contains(src, f.src_ip));
  const dst = cidrs(values(query.dst_cidr), 'dst_cidr');
  if (dst) checks.push((f) => contains(dst, f.dst_ip));
  const hosts = values(query.hostname).map(hostnamePattern);
  if (hosts.length) checks.push((f) => f.hostname !== null && hosts.some((match) => match(f.hostname!.toLowerCase().replace(/\.$/, ''))));
  const protos = values(query.proto).map(protoNumberOf);
  if (protos.length && !protos.includes(null)) checks.push((f) => protos.includes(f.proto));
  const srcPorts = values(query.src_port).map((v) => portRange(v, 'src_port'));
  if (srcPorts.length) checks.push((f) => inRanges(srcPorts, f.src_port));
  const dstPorts = values(query.dst_port).map((v) => portRange(v, 'dst_port'));
  if (dstPorts.length) checks.push((f) => inRanges(dstPorts, f.dst_port));
  return (flow) => checks.every((check) => check(flow));
}

const values = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]).map((s) => s.trim());

function cidrs(list: string[], field: string): BlockList | null {
  if (list.length === 0) return null;
  const blocks = new BlockList();
  for (const value of list) {
    const [address, prefixText, extra] = value.split('/');
    const family = isIP(address);
    const max = family === 6 ? 128 : 32;
    const prefix = prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
    if (!family || extra !== undefined || !(prefix >= 0 && prefix <= max)) throw errors.validation(`${field}: "${value}" is not a CIDR or an IP address`);
    blocks.addSubnet(address, prefix, family === 6 ? 'ipv6' : 'ipv4');
  }
  return blocks;
}

function contains(blocks: BlockList, ip: string): boolean {
  const family = isIP(ip);
  return family !== 0 && blocks.check(ip, family === 6 ? 'ipv6' : 'ipv4');
}

function hostnamePattern(value: string): (host: string) => boolean {
  if (!HOSTNAME.test(value)) throw errors.validation(`hostname: "${value}" is not a hostname`);
  const name = value.toLowerCase().replace(/\.$/, '');
  if (name.startsWith('*.')) {
    const suffix = name.slice(1);
    return (host) => host.endsWith(suffix);
  }
  return (host) => host === name;
}

/** A protocol name or number 0-255; null for "any". */
function protoNumberOf(value: string): number | null {
  if (value.toLowerCase() === 'any') return null;
  try {
    return protocolNumber(value.toLowerCase());
  } catch {
    throw errors.validation(`proto: "${value}" is not a protocol name or number (0-255)`);
  }
}

function portRange(value: string, field: string): [number, number] {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(value);
  const low = m ? Number(m[1]) : NaN;
  const high = m?.[2] !== undefined ? Number(m[2]) : low;
  if (!m || low > 65_535 || high > 65_535 || low > high) throw errors.validation(`${field}: "${value}" is not a port (0-65535) or a range like 1000-2000`);
  return [low, high];
}

const inRanges = (ranges: [number, number][], port: number | null) => port !== null && ranges.some(([low, high]) => port >= low && port <= high);
