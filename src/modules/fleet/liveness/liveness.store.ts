import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Core } from '../../../core/index.js';
import type { FleetHostLivenessRow, FleetMonitoringHistoryRow, MonitoringState } from '../config/config.tables.js';
import '../config/config.tables.js';
import { inMaintenanceGroup } from '../hosts/host-group.service.js';
import type { LivenessSnapshot } from './transition.js';
import { hostChangeAnnouncer } from '../common/host-changes.js';

const bit = (v: boolean | null) => (v === null ? null : v ? 1 : 0);

/** host_liveness rows (one per host) and the monitoring history. */
export function createLivenessStore(core: Pick<Core, 'db' | 'now' | 'events'>) {
  const { db } = core;
  const announce = hostChangeAnnouncer(core.events);

  return {
    get: (hostId: string) => db.kysely.selectFrom('fleet_host_liveness').selectAll().where('host_id', '=', hostId).executeTakeFirst(),

    /** Rows of these hosts; a long list reads the whole table rather than binding thousands of parameters. */
    many: (hostIds: string[]) => {
      const all = db.kysely.selectFrom('fleet_host_liveness').selectAll();
      if (hostIds.length > 500) return all.execute();
      return hostIds.length ? all.where('host_id', 'in', hostIds).execute() : Promise.resolve([]);
    },

    /** Gives every live host without a liveness row one, due now (and announces them: the list shows the row). */
    async ensureRows(): Promise<void> {
      const now = core.now().toISOString();
      const missing = await db.kysely
        .selectFrom('fleet_hosts')
        .select('fleet_hosts.id')
        .where('fleet_hosts.deleted_at', 'is', null)
        .where((eb) => eb.not(eb.exists(eb.selectFrom('fleet_host_liveness').select('host_id').whereRef('fleet_host_liveness.host_id', '=', 'fleet_hosts.id'))))
        .execute();
      if (missing.length === 0) return;
      const ids = missing.map((h) => h.id);
      for (let i = 0; i < ids.length; i += 200) {
        await db.kysely
          .insertInto('fleet_host_liveness')
          .columns(['host_id', 'monitoring_state', 'reachability_status', 'next_probe_at', 'updated_at'])
          .expression(
            db.kysely
              .selectFrom('fleet_hosts')
              .select([
                'fleet_hosts.id',
                sql<string>`${'unknown'}`.as('monitoring_state'),
                sql<string>`${'unknown'}`.as('reachability_status'),
                sql<string>`${now}`.as('next_probe_at'),
                sql<string>`${now}`.as('updated_at'),
              ])
              .where('fleet_hosts.id', 'in', ids.slice(i, i + 200)),
          )
          .onConflict((oc) => oc.column('host_id').doNothing())
          .execute();
      }
      await announce(ids);
    },

    /** Live hosts out of maintenance (their own or their group's) whose next probe is due, most overdue first, then by check_priority. */
    async due(limit: number): Promise<{ host_id: string; next_probe_at: string }[]> {
      return db.kysely
        .selectFrom('fleet_host_liveness')
        .innerJoin('fleet_hosts', 'fleet_hosts.id', 'fleet_host_liveness.host_id')
        .select(['fleet_host_liveness.host_id', 'fleet_host_liveness.next_probe_at'])
        .where('fleet_hosts.deleted_at', 'is', null)
        .where('fleet_hosts.maintenance_mode', '=', db.dialect.toBool(false))
        .where((eb) => eb.not(inMaintenanceGroup(db.dialect.toBool(true))))
        .where('fleet_host_liveness.next_probe_at', '<=', core.now().toISOString())
        .orderBy('fleet_host_liveness.next_probe_at')
        .orderBy('fleet_hosts.check_priority')
        .limit(limit)
        .execute();
    },

    /** Moves a due row's next probe forward; false when another node claimed it first. */
    async claim(hostId: string, seenNextProbeAt: string, until: string): Promise<boolean> {
      const result = await db.kysely
        .updateTable('fleet_host_liveness')
        .set({ next_probe_at: until })
        .where('host_id', '=', hostId)
        .where('next_probe_at', '=', seenNextProbeAt)
        .executeTakeFirst();
      const claimed = Number(result.numUpdatedRows) === 1;
      if (claimed) await announce([hostId]); // next_probe_at is on the list
      return claimed;
    },

    async save(
      hostId: string,
      next: LivenessSnapshot,
      fields: { previous: MonitoringState; privilege?: string | null; error?: string | null; errorType?: string | null; responseMs?: number | null; probedAt?: string | null; nextProbeAt: string },
    ): Promise<void> {
      const now = core.now().toISOString();
      const changed = next.monitoring_state !== fields.previous;
      const row: FleetHostLivenessRow = {
        host_id: hostId,
        ...next,
        privilege: fields.privilege ?? null,
        last_response_ms: fields.responseMs ?? null,
        last_error: fields.error ?? null,
        last_error_type: fields.errorType ?? null,
        last_probe_at: fields.probedAt ?? null,
        state_changed_at: changed ? now : null,
        next_probe_at: fields.nextProbeAt,
        updated_at: now,
      };
      const { host_id: _, state_changed_at, last_probe_at, ...update } = row;
      await db.kysely
        .insertInto('fleet_host_liveness')
        .values(row)
        .onConflict((oc) =>
          oc.column('host_id').doUpdateSet({
            ...update,
            ...(changed ? { state_changed_at } : {}),
            ...(fields.probedAt !== undefined ? { last_probe_at } : {}),
          }),
        )
        .execute();
      await announce([hostId]);
    },

    async addHistory(entry: Omit<FleetMonitoringHistoryRow, 'id' | 'icmp_ok' | 'ssh_ok' | 'privilege_ok'> & { icmp: boolean | null; ssh: boolean | null; privilege: boolean | null }): Promise<void> {
      const { icmp, ssh, privilege, ...rest } = entry;
      await db.kysely
        .insertInto('fleet_monitoring_history')
        .values({ id: randomUUID(), ...rest, icmp_ok: bit(icmp), ssh_ok: bit(ssh), privilege_ok: bit(privilege) })
        .execute();
    },

    history: (hostId: string, opts: { limit: number; since?: string }) => {
      let q = db.kysely.selectFrom('fleet_monitoring_history').selectAll().where('host_id', '=', hostId);
      if (opts.since) q = q.where('checked_at', '>=', opts.since);
      return q.orderBy('checked_at', 'desc').orderBy('id', 'desc').limit(opts.limit).execute();
    },

    /** Counts over the monitoring history, for GET /system/connectivity/status. */
    async historyStats() {
      const row = await db.kysely
        .selectFrom('fleet_monitoring_history')
        .select((eb) => [
          eb.fn.max('checked_at').as('last_probe_at'),
          eb.fn.count<string>('id').as('probe_count'),
          eb.fn.count<string>('id').filterWhere('error', 'is', null).as('probe_success_count'),
          eb.fn.count<string>('id').filterWhere('error', 'is not', null).as('probe_failure_count'),
          eb.fn.count<string>('id').filterWhereRef('monitoring_state', '!=', 'previous_state').as('state_transition_count'),
        ])
        .executeTakeFirstOrThrow();
      return {
        last_probe_at: (row.last_probe_at as string | null) ?? null,
        probe_count: Number(row.probe_count),
        probe_success_count: Number(row.probe_success_count),
        probe_failure_count: Number(row.probe_failure_count),
        state_transition_count: Number(row.state_transition_count),
      };
    },

    /** Current rows of every live host (with its maintenance flag), for the fleet breakdowns. */
    fleet: () =>
      db.kysely
        .selectFrom('fleet_hosts')
        .leftJoin('fleet_host_liveness', 'fleet_host_liveness.host_id', 'fleet_hosts.id')
        .select(['fleet_hosts.id', 'fleet_host_liveness.monitoring_state', 'fleet_host_liveness.reachability_status', 'fleet_host_liveness.last_probe_at'])
        .where('fleet_hosts.deleted_at', 'is', null)
        .execute(),
  };
}

export type LivenessStore = ReturnType<typeof createLivenessStore>;
