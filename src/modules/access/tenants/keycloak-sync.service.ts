import type { Core } from '../../../core/index.js';
import { sealContext } from '../../../core/secrets/sealed-columns.js';
import { accessErrors } from '../common/access-errors.js';
import type { DirsyncService, RunView } from './dirsync.service.js';
import { pullKeycloak, type KeycloakSettings } from './keycloak.js';
import { tenantSealedColumns } from './tenants.sealed.js';
import type { AccessDirsyncKeycloakRow } from './tenants.tables.js';

export const KEYCLOAK_SYNC_JOB = 'access.dirsync.keycloak';

export interface KeycloakInput {
  base_url?: string;
  realm?: string;
  client_id?: string;
  client_secret?: string;
  ca_pem?: string | null;
  full?: boolean;
  interval_minutes?: number;
}

export interface KeycloakView {
  base_url: string;
  realm: string;
  client_id: string;
  client_secret_configured: boolean;
  ca_pem: string | null;
  full: boolean;
  interval_minutes: number;
  next_run_at: string | null;
  updated_at: string;
}

/**
 * The Keycloak realm a tenant pulls its directory from: settings kept per tenant (client_secret sealed, never shown),
 * a run that pulls outside any transaction and applies the snapshot in one, and the schedule (interval_minutes > 0)
 * that the sweeper turns into jobs.
 */
export function createKeycloakSync(core: Core, dirsync: DirsyncService) {
  const { db } = core;
  const k = () => db.kysely;
  const context = sealContext(tenantSealedColumns.keycloakClientSecret);

  const view = (row: AccessDirsyncKeycloakRow): KeycloakView => ({
    base_url: row.base_url, realm: row.realm, client_id: row.client_id, client_secret_configured: row.client_secret !== '', ca_pem: row.ca_pem,
    full: db.dialect.fromBool(row.full_sync), interval_minutes: row.interval_minutes, next_run_at: row.next_run_at, updated_at: row.updated_at,
  });
  const row = (tenantId: string) => k().selectFrom('access_dirsync_keycloak').selectAll().where('tenant_id', '=', tenantId).executeTakeFirst();

  return {
    async settings(tenantId: string): Promise<KeycloakView | null> {
      const r = await row(tenantId);
      return r ? view(r) : null;
    },

    /** Saves what the input gives over what is stored; a first save needs base_url, realm, client_id and client_secret. */
    async save(tenantId: string, input: KeycloakInput): Promise<KeycloakView> {
      const existing = await row(tenantId);
      const at = core.now().toISOString();
      const base_url = input.base_url ?? existing?.base_url;
      const realm = input.realm ?? existing?.realm;
      const client_id = input.client_id ?? existing?.client_id;
      if (!base_url || !realm || !client_id || (!existing && !input.client_secret)) {
        throw accessErrors.invalid('Keycloak is not configured here: give base_url, realm, client_id and client_secret');
      }
      const interval = input.interval_minutes ?? existing?.interval_minutes ?? 0;
      const next: AccessDirsyncKeycloakRow = {
        tenant_id: tenantId, base_url, realm, client_id,
        client_secret: input.client_secret !== undefined ? core.secrets.seal(input.client_secret, context) : existing!.client_secret,
        ca_pem: input.ca_pem !== undefined ? input.ca_pem : existing?.ca_pem ?? null,
        full_sync: db.dialect.toBool(input.full ?? (existing ? db.dialect.fromBool(existing.full_sync) : true)),
        interval_minutes: interval,
        next_run_at: interval > 0 ? (input.interval_minutes !== undefined || !existing?.next_run_at ? new Date(core.now().getTime() + interval * 60_000).toISOString() : existing.next_run_at) : null,
        updated_at: at,
      };
      if (existing) await k().updateTable('access_dirsync_keycloak').set(next).where('tenant_id', '=', tenantId).execute();
      else await k().insertInto('access_dirsync_keycloak').values(next).execute();
      return view(next);
    },

    /** Pulls the realm (no transaction open while waiting on Keycloak) and applies it; a failed pull is recorded and thrown. */
    async run(tenantId: string, trigger: string): Promise<RunView> {
      const r = await row(tenantId);
      if (!r) throw accessErrors.invalid('Keycloak is not configured here: give base_url, realm, client_id and client_secret');
      const settings: KeycloakSettings = { base_url: r.base_url, realm: r.realm, client_id: r.client_id, client_secret: core.secrets.open(r.client_secret, context).toString('utf8'), ca_pem: r.ca_pem };
      const full = db.dialect.fromBool(r.full_sync);
      let pulled;
      try {
        pulled = await pullKeycloak(settings);
      } catch (err) {
        await dirsync.failed(tenantId, 'keycloak', full, trigger, err);
        throw err;
      }
      return db.transaction(() => dirsync.apply(tenantId, { source: 'keycloak', full, users: pulled.users, groups: pulled.groups }, trigger));
    },

    /**
     * Enqueues a job for every tenant whose scheduled sync is due, moving its next_run_at first with a conditional
     * update, so two nodes sweeping at once enqueue it once.
     */
    async sweepDue(): Promise<number> {
      const now = core.now();
      const due = await k().selectFrom('access_dirsync_keycloak').selectAll().where('interval_minutes', '>', 0).where('next_run_at', '<=', now.toISOString()).execute();
      let queued = 0;
      for (const d of due) {
        const next = new Date(now.getTime() + d.interval_minutes * 60_000).toISOString();
        const moved = await k().updateTable('access_dirsync_keycloak').set({ next_run_at: next }).where('tenant_id', '=', d.tenant_id).where('next_run_at', '=', d.next_run_at).executeTakeFirst();
        if (Number(moved.numUpdatedRows) === 0) continue;
        await core.jobs.queue.enqueue(KEYCLOAK_SYNC_JOB, { tenant_id: d.tenant_id }, { maxAttempts: 3 });
        queued++;
      }
      return queued;
    },
  };
}

export type KeycloakSync = ReturnType<typeof createKeycloakSync>;
