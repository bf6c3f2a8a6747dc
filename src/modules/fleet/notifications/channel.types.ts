import { z } from 'zod';
import type { Alert } from '../alerts/alert.types.js';

/** A tag filter: every key must match the alert's tag (one value, or any of a list). Empty matches every alert. */
export const tagFilter = z.record(z.string().min(1).max(64), z.union([z.string().max(256), z.array(z.string().max(256)).min(1).max(50)])).refine((f) => Object.keys(f).length <= 32, 'at most 32 tags');
export type TagFilter = z.infer<typeof tagFilter>;

export function matchesTags(filter: TagFilter, tags: Record<string, string>): boolean {
  return Object.entries(filter).every(([key, wanted]) => {
    const value = tags[key];
    return value !== undefined && (Array.isArray(wanted) ? wanted.includes(value) : wanted === value);
  });
}

const webhookConfig = z.object({ url: z.string().url().max(2048).refine((u) => /^https?:\/\//i.test(u), 'url must be http or https') });
const emailConfig = z.object({ recipients: z.array(z.string().email().max(256)).min(1).max(50) });

export const channelCreate = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('webhook'),
    name: z.string().min(1).max(128),
    enabled: z.boolean().optional(),
    tag_filter: tagFilter.optional(),
    config: webhookConfig,
    /** The HMAC-SHA256 key for the X-Rampart-Signature header; write-only. */
    secret: z.string().min(16).max(256),
  }),
  z.object({
    kind: z.literal('email'),
    name: z.string().min(1).max(128),
    enabled: z.boolean().optional(),
    tag_filter: tagFilter.optional(),
    config: emailConfig,
  }),
]);
export type ChannelCreate = z.infer<typeof channelCreate>;

/** A patch: the kind cannot change; config must fit the channel's kind; secret replaces the webhook's key. */
export const channelPatch = z.object({
  name: z.string().min(1).max(128).optional(),
  enabled: z.boolean().optional(),
  tag_filter: tagFilter.optional(),
  config: z.union([webhookConfig.strict(), emailConfig.strict()]).optional(),
  secret: z.string().min(16).max(256).optional(),
});
export type ChannelPatch = z.infer<typeof channelPatch>;

export const channelView = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(['webhook', 'email']),
  enabled: z.boolean(),
  tag_filter: z.record(z.string(), z.union([z.string(), z.array(z.string())])),
  config: z.union([z.object({ url: z.string() }), z.object({ recipients: z.array(z.string()) })]),
  /** Whether a signing secret is stored (the secret itself is never returned). */
  secret_set: z.boolean(),
  last_delivery_at: z.string().nullable(),
  last_error: z.string().nullable(),
  created_by: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type ChannelView = z.infer<typeof channelView>;

/** What a channel sends: the alert, and what happened to it. */
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
