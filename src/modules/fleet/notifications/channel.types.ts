import { z } from 'zod';
import type { Alert } from '../alerts/alert.types.js';
import type { ChannelKind } from './notifications.tables.js';

export const CHANNEL_KINDS = ['webhook', 'slack', 'email'] as const satisfies readonly ChannelKind[];
const SEVERITY_RANK: Record<string, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

/**
 * A tag filter: every key must match the alert's tag, one value or any of a list. `severity` given as one value is a
 * floor ("high" routes high and critical), as OpenWatch's settings page offers it. Empty matches every alert.
 */
export const tagFilter = z
  .record(z.string().min(1).max(64), z.union([z.string().max(256), z.array(z.string().max(256)).min(1).max(50)]))
  .refine((f) => Object.keys(f).length <= 32, 'at most 32 tags');
export type TagFilter = z.infer<typeof tagFilter>;

export function matchesTags(filter: TagFilter, tags: Record<string, string>): boolean {
  return Object.entries(filter).every(([key, wanted]) => {
    const value = tags[key];
    if (value === undefined) return false;
    if (Array.isArray(wanted)) return wanted.includes(value);
    if (key === 'severity' && wanted in SEVERITY_RANK) return (SEVERITY_RANK[value] ?? -1) >= SEVERITY_RANK[wanted];
    return wanted === value;
  });
}

const url = z.string().url().max(2048).refine((u) => /^https?:\/\//i.test(u), 'url must be http or https');
const recipients = z.array(z.string().email().max(256)).min(1).max(50);
/** The HMAC-SHA256 key signing webhook bodies (X-Rampart-Signature). */
const secret = z.string().min(16).max(256);
/** Sent as `Authorization: Bearer` to the webhook (OpenWatch's webhook token). */
const token = z.string().min(1).max(1024);

/**
 * A channel as either client sends it: Rampart's `{kind, config: {url} | {recipients}, secret}` or OpenWatch's flat
 * `{type, url, token, to, smtp_*...}`. OpenWatch's SMTP fields are accepted and not used: mail goes through
 * Rampart's own mailer ([mail] smtp_url).
 */
const channelFields = {
  name: z.string().min(1).max(128),
  kind: z.enum(CHANNEL_KINDS).optional(),
  type: z.enum(CHANNEL_KINDS).optional(),
  enabled: z.boolean().optional(),
  tag_filter: tagFilter.optional(),
  config: z.strictObject({ url: url.optional(), recipients: recipients.optional() }).optional(),
  url: url.optional(),
  to: recipients.optional(),
  secret: secret.optional(),
  token: token.optional(),
  smtp_host: z.string().max(256).optional(),
  smtp_port: z.number().int().min(0).max(65535).optional(),
  from: z.string().max(256).optional(),
  username: z.string().max(256).optional(),
  password: z.string().max(1024).optional(),
  smtp_encryption: z.string().max(32).optional(),
  smtp_insecure_skip_verify: z.boolean().optional(),
};
export const channelCreate = z.object(channelFields);
export const channelPatch = z.object({ ...channelFields, name: channelFields.name.optional() });
export type ChannelCreateInput = z.infer<typeof channelCreate>;
export type ChannelPatchInput = z.infer<typeof channelPatch>;

export const channelView = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(CHANNEL_KINDS),
  /** The same as kind, under OpenWatch's name. */
  type: z.enum(CHANNEL_KINDS),
  enabled: z.boolean(),
  tag_filter: z.record(z.string(), z.union([z.string(), z.array(z.string())])),
  /** Where deliveries go, without secrets: the URL's scheme and host, or the recipients. */
  target_hint: z.string(),
  /** Email recipients (email channels). */
  to: z.array(z.string()).optional(),
  /** Whether a signing secret / bearer token is stored; the values are never returned. */
  secret_set: z.boolean(),
  token_set: z.boolean(),
  last_delivery_at: z.string().nullable(),
  last_error: z.string().nullable(),
  created_by: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type ChannelView = z.infer<typeof channelView>;

/** What a channel sends: the alert, and why. */
export interface AlertNotice {
  event: 'alert.created' | 'alert.test';
  alert: Alert;
  sent_at: string;
}

export const DELIVER_JOB = 'fleet.notification.deliver';
export interface DeliverPayload {
  channel_id: string;
  alert_id: string;
}
