import { isIP } from 'node:net';
import { z } from 'zod';

/** The posture checks a bundle can require, by the fact each reads (POST /v1/posture/assertion). */
export const POSTURE_CHECKS = ['disk_encrypted', 'firewall_on', 'screen_lock', 'av_running', 'client_version', 'os_version'] as const;
export type PostureCheck = (typeof POSTURE_CHECKS)[number];

const PORT = /^(\d{1,5})(?:-(\d{1,5}))?$/;

function validPorts(ports: string): boolean {
  const m = PORT.exec(ports);
  if (!m) return false;
  const start = Number(m[1]);
  const end = m[2] === undefined ? start : Number(m[2]);
  return start >= 1 && end <= 65535 && start <= end;
}

function validCidr(cidr: string): boolean {
  const [address, prefix, ...rest] = cidr.split('/');
  const family = isIP(address);
  if (!family || rest.length > 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

const FQDN = /^(?=.{1,253}$)(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

export const destinationSchema = z
  .object({
    cidr: z.string().max(64).refine(validCidr, 'must be an IPv4 or IPv6 address or CIDR').optional(),
    fqdn: z.string().max(253).regex(FQDN, 'must be a domain name').optional(),
    protocol: z.enum(['tcp', 'udp', 'icmp', 'any']).default('any'),
    ports: z.array(z.string().max(11).refine(validPorts, 'a port is "443" or a range "8000-8100" within 1-65535')).max(64).default([]),
  })
  .refine((d) => (d.cidr === undefined) !== (d.fqdn === undefined), 'a destination has exactly one of cidr and fqdn')
  .refine((d) => !(d.ports.length > 0 && (d.protocol === 'icmp' || d.protocol === 'any')), 'ports need protocol tcp or udp');

const ids = z.array(z.string().min(1).max(64)).max(1000).default([]);

export const ruleSchema = z.object({
  /** Stable across versions (the diff keys on it); the rule's name when omitted. */
  id: z.string().min(1).max(64).regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits and . _ : - only').optional(),
  name: z.string().min(1).max(128),
  priority: z.number().int().min(0).max(100_000).default(100),
  action: z.enum(['allow', 'deny']).default('allow'),
  sources: z.object({ group_ids: ids, user_ids: ids, device_ids: ids }).default({ group_ids: [], user_ids: [], device_ids: [] }),
  destinations: z.array(destinationSchema).min(1).max(256),
  require_posture: z.array(z.enum(POSTURE_CHECKS)).max(POSTURE_CHECKS.length).default([]),
  /** Kept and signed as given; gateways do not act on it yet. */
  schedule: z.string().max(256).nullable().default(null),
  enabled: z.boolean().default(true),
});

export const postureRequirementsSchema = z.object({
  required: z.array(z.enum(POSTURE_CHECKS)).max(POSTURE_CHECKS.length).default([]),
  min_client_version: z.string().max(32).regex(/^\d+(\.\d+)*$/).nullable().default(null),
  /** Per platform (linux, windows, macos, ios, android): the lowest OS version accepted. */
  min_os_version: z.record(z.string().max(16), z.string().max(32).regex(/^\d+(\.\d+)*$/)).default({}),
});

export const canarySchema = z.object({
  device_ids: z.array(z.string().max(64)).max(10_000).default([]),
  group_ids: z.array(z.string().max(64)).max(1000).default([]),
  percent: z.number().int().min(0).max(100).default(0),
});

export type RuleInput = z.input<typeof ruleSchema>;
export type Rule = z.output<typeof ruleSchema> & { id: string };
export type PostureRequirements = z.output<typeof postureRequirementsSchema>;
export type CanarySelector = z.output<typeof canarySchema>;

/** What a bundle's digest covers and its signature vouches for. */
export interface BundleContent {
  default_action: 'deny';
  posture: PostureRequirements;
  rules: Rule[];
}

/** Rules with their ids filled and in a stable order (priority, then id), so equal policies get equal digests. */
export function normalizeRules(rules: z.output<typeof ruleSchema>[]): Rule[] {
  const withIds = rules.map((r) => ({ ...r, id: r.id ?? r.name }));
  return withIds.sort((a, b) => a.priority - b.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The id of the first rule that shares its id with another, if any. */
export function duplicateRuleId(rules: Rule[]): string | undefined {
  const seen = new Set<string>();
  for (const r of rules) {
    if (seen.has(r.id)) return r.id;
    seen.add(r.id);
  }
  return undefined;
}
