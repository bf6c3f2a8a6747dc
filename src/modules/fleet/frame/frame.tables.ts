/**
 * Per-user state behind OpenWatch's app frame: the notification bell's feed and the UI preferences that follow a
 * user across devices. Timestamps are ISO strings; preferences is JSON text on SQLite and jsonb on PostgreSQL.
 */
export interface FleetNotificationRow {
  id: string;
  user_id: string;
  /** What produced it (drift_major, host_unreachable ...), for grouping and filtering. */
  kind: string;
  severity: string;
  title: string;
  body: string | null;
  /** An in-app path the UI opens when the notification is clicked. */
  link: string | null;
  created_at: string;
  read_at: string | null;
}

export interface FleetUserPreferencesRow {
  user_id: string;
  preferences: string;
  updated_at: string;
}

declare module '../../../core/db/tables.js' {
  interface Tables {
    fleet_notifications: FleetNotificationRow;
    fleet_user_preferences: FleetUserPreferencesRow;
  }
}
