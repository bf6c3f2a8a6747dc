/**
 * The typed table map for Kysely. Each module adds its own tables by declaration merging:
 *
 *   declare module '../../core/db/tables.js' { interface Tables { audit_events: AuditEventRow } }
 *
 * Timestamps are ISO 8601 UTC strings on both dialects (see dialect.ts), JSON columns hold JSON text.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface Tables {
  rampart_migrations: {
    module: string;
    name: string;
    applied_at: string;
    rampart_version: string;
  };
}
