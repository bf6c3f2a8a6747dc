/**
 * What a node may be called and carry. Hostnames become certificate names (nebula caps them at 253 bytes) and
 * appear in DNS-like places (lighthouse DNS, UIs), so they follow DNS label rules; group names end up in
 * certificates and firewall rules, where commas and whitespace would be ambiguous.
 */
import { z } from 'zod';
import { errors } from '../../../core/errors.js';

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?';
const HOSTNAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`);
const GROUP = /^[^\s,]{1,64}$/;
/** Linux interface names: at most 15 bytes, no slash or whitespace. */
const TUN_DEVICE = /^[A-Za-z0-9_.-]{1,15}$/;
const ENDPOINT = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;
const MAX_GROUPS = 32;

export function assertHostname(name: string): string {
  const hostname = String(name ?? '').trim();
  if (hostname.length === 0 || hostname.length > 253 || !HOSTNAME.test(hostname)) {
    throw errors.validation(`name "${name}" is not a valid node name: 1 to 253 characters, dot-separated labels of letters, digits, '-' and '_' (e.g. web-1.example)`);
  }
  return hostname;
}

/** Groups from the spec's `group` (one name, or a comma list) or Rampart's `groups` list: validated, deduplicated, in order. */
export function normalizeGroups(input: { group?: string | null; groups?: string[] | null }): string[] | undefined {
  let raw: string[] | undefined;
  if (input.groups != null) raw = input.groups;
  else if (input.group != null) raw = input.group.split(',').map((g) => g.trim()).filter((g) => g !== '');
  if (raw === undefined) return undefined;
  const groups = [...new Set(raw)];
  for (const group of groups) {
    if (!GROUP.test(group)) throw errors.validation(`group "${group}" is not a valid group name: 1 to 64 characters without commas or whitespace`);
  }
  if (groups.length > MAX_GROUPS) throw errors.validation(`a node may be in at most ${MAX_GROUPS} groups`);
  return groups;
}

export function assertTunDevice(name: string | null | undefined): string | null {
  if (name == null || name === '') return null;
  if (!TUN_DEVICE.test(name)) throw errors.validation(`tun_device "${name}" is not a valid interface name: 1 to 15 letters, digits, '_', '.' or '-'`);
  return name;
}

/** host:port of the node on the underlay, as static_host_map lists it. */
export function assertPublicEndpoint(endpoint: string | null | undefined): string | null {
  if (endpoint == null || endpoint.trim() === '') return null;
  const text = endpoint.trim();
  const match = ENDPOINT.exec(text);
  const port = Number(match?.[1]);
  if (!match || port < 1 || port > 65535) throw errors.validation(`public_endpoint "${endpoint}" must be host:port, e.g. 203.0.113.7:4242`);
  return text;
}

const goDuration = z.string().regex(/^\d+(\.\d+)?(ns|us|µs|ms|s|m|h)$/, 'must be a Go duration such as 1s or 500ms');

export const lighthouseOptionsSchema = z.object({ interval_seconds: z.number().int().min(1).max(86_400).optional() });
export const punchyOptionsSchema = z.object({
  punch: z.boolean().optional(),
  respond: z.boolean().optional(),
  delay: goDuration.optional(),
  respond_delay: goDuration.optional(),
});
export const loggingOptionsSchema = z.object({
  level: z.enum(['panic', 'fatal', 'error', 'warning', 'info', 'debug']).optional(),
  format: z.enum(['text', 'json']).optional(),
  disable_timestamp: z.boolean().optional(),
  timestamp_format: z.string().max(100).optional(),
});

/** Certificate lifetime a request may ask for; signing clamps it inside the CA's validity. */
export const durationDaysSchema = z.number().int().min(1).max(36_500);

/** The fields a node is created or changed with, shared by /certificates/* bodies and PATCH /nodes/{id}. */
export const nodeOptionFields = {
  group: z.string().max(2_000).nullish(),
  groups: z.array(z.string()).max(64).nullish(),
  is_lighthouse: z.boolean().optional(),
  is_relay: z.boolean().optional(),
  public_endpoint: z.string().max(300).nullish(),
  lighthouse_options: lighthouseOptionsSchema.nullish(),
  logging_options: loggingOptionsSchema.nullish(),
  punchy_options: punchyOptionsSchema.nullish(),
  tun_device: z.string().max(64).nullish(),
};
