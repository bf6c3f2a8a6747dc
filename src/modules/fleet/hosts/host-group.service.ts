import { randomUUID } from 'node:crypto';
import { sql, type Expression, type SqlBool } from 'kysely';
import type { Core } from '../../../core/index.js';
import { isUuid } from '../../../core/db/ids.js';
import { errors, RampartError } from '../../../core/errors.js';
import type { FleetHostGroupRow } from './host-groups.migrations.js';
import type { ComplianceProvider } from './host.view.js';
import { hostChangeAnnouncer } from '../common/host-changes.js';

export interface GroupView {
  id: string;
  name: string;
  kind: 'site' | 'os_category';
  subtype: string;
  color: string;
  membership: 'manual' | 'auto';
  match_family: string | null;
  maintenance: boolean;
  target_framework: string | null;
  created_at: string;
  updated_at: string;
}

export interface GroupRollup {
  hosts: number;
  online: number;
  down: number;
  /** Hosts whose monitoring state is critical. */
  critical_hosts: number;
  /** Mean of the members' passing / (passing + failing), in percent; null when no member was scanned. */
  avg_compliance_pct: number | null;
  members: { host_id: string; hostname: string; status: string }[];
}

export interface GroupInput {
  name: string;
  kind?: 'site' | 'os_category';
  membership?: 'manual' | 'auto';
  subtype?: string;
  color?: string;
  match_family?: string | null;
}

const TARGET = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

export const groupNotFound = (id: string) => new RampartError({ code: 'groups.not_found', status: 404, message: `host group ${id} not found` });
const invalid = (message: string) => new RampartError({ code: 'validation.invalid', status: 400, message });
const duplicateFamily = (family: string) =>
  new RampartError({ code: 'groups.duplicate_family', status: 409, message: `an auto group already exists for OS family ${family}` });

interface LiveHost {
  id: string;
  hostname: string;
  group_id: string | null;
  os_family: string | null;
  maintenance_mode: number | boolean;
}

/**
 * Host groups: sites and OS categories, with manual or automatic (by OS family) membership, maintenance and a
 * site's compliance target. Rollups are computed from the live hosts, their liveness and the compliance hook.
 */
export function createHostGroupService(core: Pick<Core, 'db' | 'now' | 'events'>) {
  const { db } = core;
  const changed = hostChangeAnnouncer(core.events);
  const bool = (v: unknown) => db.dialect.fromBool(v);

  async function row(id: string): Promise<FleetHostGroupRow> {
    const found = isUuid(id) ? await db.kysely.selectFrom('fleet_host_groups').selectAll().where('id', '=', id).executeTakeFirst() : undefined;
    if (!found) throw groupNotFound(id);
    return found;
  }

  const view = (g: FleetHostGroupRow): GroupView => ({ ...g, maintenance: bool(g.maintenance) });

  async function assertFamilyFree(family: string): Promise<void> {
    const taken = await db.kysely.selectFrom('fleet_host_groups').select('id').where('membership', '=', 'auto').where('match_family', '=', family).executeTakeFirst();
    if (taken) throw duplicateFamily(family);
  }

  /** Which live hosts belong to which group. */
  async function membership(groups: FleetHostGroupRow[]) {
    const hosts: LiveHost[] = await db.kysely
      .selectFrom('fleet_hosts')
      .select(['id', 'hostname', 'group_id', 'os_family', 'maintenance_mode'])
      .where('deleted_at', 'is', null)
      .orderBy('hostname')
      .execute();
    const rows = await db.kysely.selectFrom('fleet_host_group_members').selectAll().execute();
    const explicit = new Set(rows.map((r) => `${r.group_id}/${r.host_id}`));
    const membersOf = (g: FleetHostGroupRow) =>
      hosts.filter((h) => (g.membership === 'auto' ? h.os_family === g.match_family : h.group_id === g.id || explicit.has(`${g.id}/${h.id}`)));
    return { hosts, members: new Map(groups.map((g) => [g.id, membersOf(g)])) };
  }

  async function rollups(groups: FleetHostGroupRow[], complianceOf: ComplianceProvider, framework: string | undefined) {
    const { hosts, members } = await membership(groups);
    const ids = hosts.map((h) => h.id);
    const states = new Map(
      (await db.kysely.selectFrom('fleet_host_liveness').select(['host_id', 'monitoring_state']).execute()).map((r) => [r.host_id, r.monitoring_state as string]),
    );
    const compliance = await complianceOf(ids, framework || undefined);
    const pct = (id: string) => {
      const s = compliance.get(id)?.compliance_summary;
      return s && s.passing + s.failing > 0 ? (100 * s.passing) / (s.passing + s.failing) : null;
    };
    const mean = (values: (number | null)[]) => {
      const known = values.filter((v): v is number => v !== null);
      return known.length ? Math.round((10 * known.reduce((a, b) => a + b, 0)) / known.length) / 10 : null;
    };
    const rollupOf = (g: FleetHostGroupRow): GroupRollup => {
      const list = members.get(g.id) ?? [];
      const status = (h: LiveHost) => (bool(h.maintenance_mode) ? 'maintenance' : (states.get(h.id) ?? 'unknown'));
      return {
        hosts: list.length,
        online: list.filter((h) => status(h) === 'online').length,
        down: list.filter((h) => status(h) === 'down').length,
        critical_hosts: list.filter((h) => status(h) === 'critical').length,
        avg_compliance_pct: mean(list.map((h) => pct(h.id))),
        members: list.map((h) => ({ host_id: h.id, hostname: h.hostname, status: status(h) })),
      };
    };
    const grouped = new Set([...members.values()].flat().map((h) => h.id));
    const inMaintenanceGroup = new Set(groups.filter((g) => bool(g.maintenance)).flatMap((g) => (members.get(g.id) ?? []).map((h) => h.id)));
    const summary = {
      groups: groups.length,
      sites: groups.filter((g) => g.kind === 'site').length,
      os_categories: groups.filter((g) => g.kind === 'os_category').length,
      hosts_maintenance: hosts.filter((h) => bool(h.maintenance_mode) || inMaintenanceGroup.has(h.id)).length,
      avg_compliance_pct: mean(hosts.map((h) => pct(h.id))),
      ungrouped: hosts.filter((h) => !grouped.has(h.id)).length,
    };
    return { summary, rollupOf };
  }

  async function touch(id: string, set: Partial<FleetHostGroupRow>): Promise<GroupView> {
    await db.kysely.updateTable('fleet_host_groups').set({ ...set, updated_at: core.now().toISOString() }).where('id', '=', id).execute();
    return view(await row(id));
  }

  return {
    row,

    /** GET /groups: the fleet summary and every group with its rollup (compliance scoped by the default framework). */
    async list(complianceOf: ComplianceProvider, framework: string) {
      const groups = await db.kysely.selectFrom('fleet_host_groups').selectAll().orderBy('name').orderBy('id').execute();
      const { summary, rollupOf } = await rollups(groups, complianceOf, framework);
      return { summary, groups: groups.map((g) => ({ ...view(g), rollup: rollupOf(g) })) };
    },

    async get(id: string, complianceOf: ComplianceProvider, framework: string) {
      const g = await row(id);
      const { rollupOf } = await rollups([g], complianceOf, framework);
      return { ...view(g), rollup: rollupOf(g) };
    },

    /** A 400 when a host names a group that does not exist. */
    async assertExists(id: string | null | undefined): Promise<void> {
      if (!id) return;
      const found = await db.kysely.selectFrom('fleet_host_groups').select('id').where('id', '=', id).executeTakeFirst();
      if (!found) throw errors.validation(`group_id ${id} names no host group`, { details: { field: 'group_id' } });
    },

    async create(input: GroupInput): Promise<GroupView> {
      const kind = input.kind ?? 'site';
      const membershipKind = input.membership ?? 'manual';
      const family = input.match_family || null;
      if (!input.name.trim()) throw new RampartError({ code: 'validation.field_required', status: 400, message: 'name is required' });
      if (kind === 'site' && membershipKind !== 'manual') throw invalid('a site must use manual membership');
      if (membershipKind === 'auto' && !family) throw invalid('auto membership requires a match_family');
      if (membershipKind === 'manual' && family) throw invalid('manual membership must not set match_family');
      if (family) await assertFamilyFree(family);
      const now = core.now().toISOString();
      const created: FleetHostGroupRow = {
        id: randomUUID(),
        name: input.name.trim(),
        kind,
        subtype: input.subtype ?? '',
        color: input.color ?? '',
        membership: membershipKind,
        match_family: family,
        maintenance: db.dialect.toBool(false),
        target_framework: null,
        created_at: now,
        updated_at: now,
      };
      try {
        await db.kysely.insertInto('fleet_host_groups').values(created).execute();
      } catch (err) {
        if (db.dialect.isUniqueViolation(err) && family) throw duplicateFamily(family);
        throw err;
      }
      return view(created);
    },

    async update(id: string, patch: { name?: string; subtype?: string; color?: string }): Promise<GroupView> {
      await row(id);
      if (patch.name !== undefined && !patch.name.trim()) throw new RampartError({ code: 'validation.field_required', status: 400, message: 'name is required' });
      return touch(id, {
        ...(patch.name !== undefined ? { name: patch.name.trim() } : {}),
        ...(patch.subtype !== undefined ? { subtype: patch.subtype } : {}),
        ...(patch.color !== undefined ? { color: patch.color } : {}),
      });
    },

    /** Deletes the group; its hosts stay, ungrouped. */
    async remove(id: string): Promise<FleetHostGroupRow> {
      const found = await row(id);
      const ungrouped = await db.kysely.selectFrom('fleet_hosts').select('id').where('group_id', '=', id).execute();
      await db.kysely.updateTable('fleet_hosts').set({ group_id: null }).where('group_id', '=', id).execute();
      await changed(ungrouped.map((h) => h.id));
      await db.kysely.deleteFrom('fleet_host_group_members').where('group_id', '=', id).execute();
      await db.kysely.deleteFrom('fleet_host_groups').where('id', '=', id).execute();
      return found;
    },

    async setMaintenance(id: string, on: boolean): Promise<GroupView> {
      await row(id);
      return touch(id, { maintenance: db.dialect.toBool(on) });
    },

    /** A site's compliance target; "" or null clears it. */
    async setTarget(id: string, target: string | null): Promise<GroupView> {
      const g = await row(id);
      if (g.kind !== 'site') throw invalid('only a site group may carry a compliance target');
      if (target && !TARGET.test(target)) throw invalid('target_framework is too long or has invalid characters');
      return touch(id, { target_framework: target || null });
    },

    async addMember(id: string, hostId: string): Promise<void> {
      const g = await row(id);
      if (g.membership === 'auto') throw new RampartError({ code: 'groups.auto_membership', status: 400, message: 'cannot add a member to an auto group' });
      await db.kysely.insertInto('fleet_host_group_members').values({ group_id: id, host_id: hostId }).onConflict((oc) => oc.columns(['group_id', 'host_id']).doNothing()).execute();
    },

    async removeMember(id: string, hostId: string): Promise<void> {
      await row(id);
      if (!isUuid(hostId)) return;
      await db.kysely.deleteFrom('fleet_host_group_members').where('group_id', '=', id).where('host_id', '=', hostId).execute();
      await db.kysely.updateTable('fleet_hosts').set({ group_id: null }).where('id', '=', hostId).where('group_id', '=', id).execute();
      await changed([hostId]);
    },
  };
}

export type HostGroupService = ReturnType<typeof createHostGroupService>;

/**
 * Whether the fleet_hosts row in scope belongs to a group in maintenance (by group_id, a membership row, or an
 * auto group of its OS family): the liveness scheduler leaves such hosts alone.
 */
export function inMaintenanceGroup(yes: boolean | number): Expression<SqlBool> {
  return sql<SqlBool>`exists (
    select 1 from fleet_host_groups g
     where g.maintenance = ${yes}
       and (g.id = fleet_hosts.group_id
            or exists (select 1 from fleet_host_group_members m where m.group_id = g.id and m.host_id = fleet_hosts.id)
            or (g.membership = 'auto' and g.match_family = fleet_hosts.os_family)))`;
}
