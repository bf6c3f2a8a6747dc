/** Notification channels, typed for Kysely. tag_filter and recipients are json columns; enabled is 0/1 on SQLite. */
export type ChannelKind = 'webhook' | 'slack' | 'email';

export interface FleetNotificationChannelRow {
  id: string;
  name: string;
  kind: ChannelKind;
  enabled: number | boolean;
  /** JSON object: tag -> value or list of values (channel.types.ts matchesTags). Empty matches all. */
  tag_filter: string;
  /** Webhook and Slack: where the alert is POSTed, sealed (a Slack URL is itself a credential); never returned. */
  url_sealed: string | null;
  /** The URL's scheme://host[:port], shown instead of it. */
  target_hint: string;
  /** Email only: JSON array of addresses. */
  recipients: string | null;
  /** Webhook only: the HMAC-SHA256 key signing each body, sealed; never returned. */
  secret_sealed: string | null;
  /** Webhook only: a bearer token sent with each delivery, sealed; never returned. */
  token_sealed: string | null;
  created_by: string | null;
  created_at: string;
  updated_at: string;
  last_delivery_at: string | null;
  last_error: string | null;
}

declare module '../../../core/db/tables.js' {
  interface Tables {
    fleet_notification_channels: FleetNotificationChannelRow;
  }
}
