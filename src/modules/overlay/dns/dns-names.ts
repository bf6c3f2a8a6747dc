/**
 * What a network's DNS settings may hold. Every value ends up in a dnsmasq.conf line (or a client's resolver
 * list), so it is checked here: a newline or a stray character would break every device's dnsmasq at once.
 */
import { isIP } from 'node:net';
import { errors } from '../../../core/errors.js';

const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?$/;
/** Nebula Commander's alias pattern: one label, optionally "*." for the label and every name below it. */
const ALIAS = /^(\*\.)?[A-Za-z0-9-]{1,63}$/;
export const MAX_DNS_SERVERS = 16;

/** A DNS name of dot-separated labels (a trailing dot is dropped), at most 253 characters. */
export function assertDomain(value: string): string {
  const domain = value.trim().replace(/\.$/, '');
  if (domain.length === 0 || domain.length > 253 || !domain.split('.').every((label) => LABEL.test(label))) {
    throw errors.validation(`domain "${value}" is not a valid DNS name: dot-separated labels of letters, digits, '-' and '_' (e.g. corp or nebula.internal)`);
  }
  return domain.toLowerCase();
}

/** The domain a network gets until its owner picks one: its name, made a DNS label (as Commander uses the name). */
export function defaultDomain(networkName: string): string {
  const label = networkName.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63).replace(/-+$/, '');
  return label || 'nebula';
}

export function assertAlias(value: string): string {
  if (!ALIAS.test(value) || value.replace(/^\*\./, '').startsWith('-') || value.endsWith('-')) {
    throw errors.validation(`alias "${value}" is not valid: one DNS label of letters, digits and '-', optionally after "*." for a wildcard (e.g. db or *.apps)`);
  }
  return value.toLowerCase();
}

/** An upstream for names outside the zone: an IP address, optionally with #port (dnsmasq's server= syntax). */
function assertUpstream(value: string, field: string): string {
  const text = value.trim();
  const [address, port, ...rest] = text.split('#');
  const portOk = port === undefined || (/^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65_535);
  if (rest.length > 0 || isIP(address) === 0 || !portOk) {
    throw errors.validation(`${field}: "${value}" is not an IP address with an optional #port (e.g. 1.1.1.1 or 2606:4700:4700::1111#53)`);
  }
  return text;
}

function assertResolver(value: string, field: string): string {
  const text = value.trim();
  if (isIP(text) === 0) throw errors.validation(`${field}: "${value}" is not an IP address`);
  return text;
}

function listOf(values: string[], field: string, check: (v: string, field: string) => string): string[] {
  if (values.length > MAX_DNS_SERVERS) throw errors.validation(`${field}: at most ${MAX_DNS_SERVERS} entries`);
  return [...new Set(values.filter((v) => v.trim() !== '').map((v, i) => check(v, `${field}[${i}]`)))];
}

export const assertUpstreamServers = (values: string[]) => listOf(values, 'upstream_servers', assertUpstream);
export const assertExtraResolvers = (values: string[]) => listOf(values, 'extra_dns_resolvers', assertResolver);
