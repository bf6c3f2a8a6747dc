import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Core } from '../../../core/index.js';
import { ACCESS_CHANGED, type AccessChange, type AccessHooks, type Channel, type DeviceStatus, type PostureVerdict } from '../access.types.js';
import { accessErrors } from '../common/access-errors.js';
import { afterCursor, pageOf } from '../common/cursor.js';
import { firstFreeAddress } from '../common/overlay-ip.js';
import { hashSecret, newSecret, SECRET_PREFIX } from '../common/secrets.js';
import type { AccessDeviceRow, EnrolledVia } from './enrollment.tables.js';
import type { DeviceInfo, DeviceView, LifecycleAction } from './device.types.js';

export interface DeviceFilter {
  status?: DeviceStatus;
  user_id?: string;
  platform?: string;
  channel?: Channel;
  posture?: PostureVerdict;
  /** Matches name, serial number, overlay address or public key. */
  q?: string;
  tenant_id?: string;
  limit?: number;
  cursor?: string;
}

export interface NewDevice {
  tenant_id: string;
  user_id: string | null;
  info: DeviceInfo;
  public_key: string;
  channel: Channel;
  enrolled_via: EnrolledVia;
  enrollment_token_id: string | null;
  auto_group_ids: string[];
  /** pending (waits for approve) instead of active. */
  pending?: boolean;
}

export interface LifecycleInput {
  action: LifecycleAction;
  /** The caller's tenant: another tenant's device is not found. */
  tenant_id?: string;
  device_id: string;
  reason?: string;
  channel?: Channel;
}

/** Serializes overlay-address allocation across PostgreSQL nodes (SQLite has one writer). */
const PG_OVERLAY_LOCK = 0x61636365; // 'acce'
const POSTURE_SCAN_BATCH = 200;
const POSTURE_SCAN_MAX = 10_000;

/**
 * Devices: created by enrollment, listed and moved through their lifecycle by admins. pending -> active
 * (approve); active <-> suspended; any -> revoked, which is terminal (every later action is a 409 conflict).
 */
export function createDeviceService(core: Core, hooks: AccessHooks) {
  const { db } = core;
  const k = () => db.kysely;
  const groupsOf = (row: AccessDeviceRow) => db.dialect.fromJson<string[]>(row.auto_group_ids) ?? [];

  async function view(row: AccessDeviceRow): Promise<DeviceView> {
    const { token_hash: _, auto_group_ids: __, owner_id: ___, ...rest } = row;
    return { ...rest, auto_group_ids: groupsOf(row), posture: await hooks.posture(row.id) };
  }

  async function rowOf(id: string, lock = false, tenantId?: string): Promise<AccessDeviceRow> {
    const q = k().selectFrom('access_devices').selectAll().where('id', '=', id);
    const row = await (lock && db.dialect.name === 'postgres' ? q.forUpdate() : q).executeTakeFirst();
    if (!row || (tenantId !== undefined && row.tenant_id !== tenantId)) throw accessErrors.notFound('device');
    return row;
  }

  const listeners: (() => void)[] = [];
  function changed(change: AccessChange) {
    db.afterCommit(() => listeners.forEach((fn) => fn()));
    return core.events.publish<AccessChange>(ACCESS_CHANGED, change);
  }

  function nextStatus(row: AccessDeviceRow, action: LifecycleAction): DeviceStatus {
    if (row.status === 'revoked') throw accessErrors.conflict('device is revoked; a revoke is final');
    const from: Record<Exclude<LifecycleAction, 'set_channel'>, { from: DeviceStatus[]; to: DeviceStatus }> = {
      approve: { from: ['pending'], to: 'active' },
      suspend: { from: ['active', 'pending'], to: 'suspended' },
      reactivate: { from: ['suspended'], to: 'active' },
      revoke: { from: ['pending', 'active', 'suspended'], to: 'revoked' },
    };
    if (action === 'set_channel') return row.status;
    const rule = from[action];
    if (!rule.from.includes(row.status)) throw accessErrors.conflict(`cannot ${action} a device that is ${row.status}`);
    return rule.to;
  }

  async function scan(filter: DeviceFilter, limit: number): Promise<{ items: AccessDeviceRow[]; next_cursor: string | null }> {
    let q = k().selectFrom('access_devices').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc');
    if (filter.tenant_id) q = q.where('tenant_id', '=', filter.tenant_id);
    if (filter.status) q = q.where('status', '=', filter.status);
    if (filter.user_id) q = q.where('user_id', '=', filter.user_id);
    if (filter.platform) q = q.where('platform', '=', filter.platform);
    if (filter.channel) q = q.where('channel', '=', filter.channel);
    if (filter.q) {
      const like = `%${filter.q}%`;
      q = q.where((eb) => eb.or(['name', 'serial_number', 'overlay_ip', 'public_key'].map((c) => db.dialect.ilike(sql.ref(c), like)) as never));
    }
    if (filter.cursor) q = q.where(afterCursor('access_devices', filter.cursor));
    return pageOf(await q.limit(limit + 1).execute(), limit);
  }

  return {
    view,
    rowOf,

    async get(tenantId: string, id: string): Promise<DeviceView> {
      return view(await rowOf(id, false, tenantId));
    },

    /**
     * One page of devices, newest first. Posture is the policy part's, so a posture filter walks the pages and
     * keeps the matching devices (at most POSTURE_SCAN_MAX rows are looked at per request).
     */
    async list(filter: DeviceFilter): Promise<{ items: DeviceView[]; next_cursor: string | null }> {
      const limit = filter.limit ?? 50;
      if (!filter.posture) {
        const page = await scan(filter, limit);
        return { items: await Promise.all(page.items.map(view)), next_cursor: page.next_cursor };
      }
      const items: DeviceView[] = [];
      let cursor = filter.cursor;
      for (let seen = 0; seen < POSTURE_SCAN_MAX; seen += POSTURE_SCAN_BATCH) {
        const page = await scan({ ...filter, cursor }, POSTURE_SCAN_BATCH);
        for (const row of page.items) {
          const v = await view(row);
          if (v.posture.verdict === filter.posture) items.push(v);
          if (items.length === limit) {
            const last = row;
            const more = page.next_cursor !== null || row !== page.items[page.items.length - 1];
            return { items, next_cursor: more ? Buffer.from(JSON.stringify({ t: last.created_at, id: last.id })).toString('base64url') : null };
          }
        }
        if (!page.next_cursor) return { items, next_cursor: null };
        cursor = page.next_cursor;
      }
      return { items, next_cursor: cursor ?? null };
    },

    /** Live (not revoked) devices of a tenant: what the device entitlement counts. */
    async liveCount(tenantId: string): Promise<number> {
      const row = await k().selectFrom('access_devices').select((eb) => eb.fn.countAll<number>().as('n')).where('tenant_id', '=', tenantId).where('status', '<>', 'revoked').executeTakeFirstOrThrow();
      return Number(row.n);
    },

    /** How many of a tenant's devices are in each status (the operations dashboard). */
    async countsByStatus(tenantId: string): Promise<Record<DeviceStatus, number>> {
      const rows = await k().selectFrom('access_devices').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).where('tenant_id', '=', tenantId).groupBy('status').execute();
      const counts: Record<DeviceStatus, number> = { pending: 0, active: 0, suspended: 0, revoked: 0 };
      for (const r of rows) counts[r.status as DeviceStatus] = Number(r.n);
      return counts;
    },

    /** Creates an enrolled device with its overlay address and bearer credential; call inside a transaction. */
    async create(input: NewDevice): Promise<{ row: AccessDeviceRow; device_token: string }> {
      if (db.dialect.name === 'postgres') await sql`select pg_advisory_xact_lock(${PG_OVERLAY_LOCK})`.execute(k());
      const live = await k().selectFrom('access_devices').select('id').where('tenant_id', '=', input.tenant_id).where('public_key', '=', input.public_key).where('status', '<>', 'revoked').executeTakeFirst();
      if (live) throw accessErrors.conflict('a device with this public_key is already enrolled');
      const taken = await k().selectFrom('access_devices').select('overlay_ip').where('tenant_id', '=', input.tenant_id).execute();
      const deviceToken = newSecret(SECRET_PREFIX.device);
      const at = core.now().toISOString();
      const row: AccessDeviceRow = {
        id: randomUUID(), tenant_id: input.tenant_id, user_id: input.user_id, owner_id: input.user_id, name: input.info.name, platform: input.info.platform,
        os_version: input.info.os_version ?? null, client_version: input.info.client_version ?? null, serial_number: input.info.serial_number ?? null,
        public_key: input.public_key, overlay_ip: firstFreeAddress(core.config.access.overlay_cidr, taken.map((t) => t.overlay_ip)),
        status: input.pending ? 'pending' : 'active', channel: input.channel, enrolled_via: input.enrolled_via, enrollment_token_id: input.enrollment_token_id,
        auto_group_ids: db.dialect.toJson(input.auto_group_ids), token_hash: hashSecret(deviceToken), status_reason: null,
        created_at: at, updated_at: at, last_seen_at: at, suspended_at: null, revoked_at: null,
      };
      await k().insertInto('access_devices').values(row).execute();
      return { row, device_token: deviceToken };
    },

    /** The device behind a device_token, whatever its status (uncached: common/caller.ts caches). */
    async byToken(secret: string): Promise<AccessDeviceRow | undefined> {
      return k().selectFrom('access_devices').selectAll().where('token_hash', '=', hashSecret(secret)).executeTakeFirst();
    },

    /** The device behind a device_token's hash, whatever its status (the caller decides what a status allows). */
    async byHash(hash: string): Promise<AccessDeviceRow | undefined> {
      return k().selectFrom('access_devices').selectAll().where('token_hash', '=', hash).executeTakeFirst();
    },

    /** Called once each device change commits (the bearer cache forgets what it knew). */
    onChange(fn: () => void): void {
      listeners.push(fn);
    },

    /**
     * One lifecycle step; call inside a transaction. Suspend and revoke revoke the device's SPCs and close its
     * sessions; every change publishes ACCESS_CHANGED so gateways re-ask their grants at once.
     */
    async lifecycle(input: LifecycleInput): Promise<DeviceView> {
      const row = await rowOf(input.device_id, true, input.tenant_id);
      const status = nextStatus(row, input.action);
      if (input.action === 'set_channel' && !input.channel) throw accessErrors.invalid('set_channel needs channel');
      const channel = input.action === 'set_channel' ? input.channel! : row.channel;
      const at = core.now().toISOString();
      const next: AccessDeviceRow = {
        ...row, status, channel, updated_at: at,
        status_reason: input.action === 'set_channel' ? row.status_reason : input.reason ?? null,
        suspended_at: status === 'suspended' ? at : status === 'active' ? null : row.suspended_at,
        revoked_at: status === 'revoked' ? at : row.revoked_at,
      };
      await k().updateTable('access_devices')
        .set({ status, channel, updated_at: at, status_reason: next.status_reason, suspended_at: next.suspended_at, revoked_at: next.revoked_at })
        .where('id', '=', row.id).execute();
      if (status === 'suspended' || status === 'revoked') {
        const why = `device ${status}${input.reason ? `: ${input.reason}` : ''}`;
        await hooks.revokeSpcs([row.id], why);
        await hooks.closeSessions([row.id], why);
      }
      await changed({ tenant_id: row.tenant_id, reason: 'device', device_ids: [row.id] });
      return view(next);
    },

    /** Devices enrolled for a user (deleted or not), not revoked: what a user suspension or deletion cuts. */
    async liveOfUser(userId: string): Promise<AccessDeviceRow[]> {
      return k().selectFrom('access_devices').selectAll().where('owner_id', '=', userId).where('status', '<>', 'revoked').execute();
    },

    async touch(id: string): Promise<void> {
      await k().updateTable('access_devices').set({ last_seen_at: core.now().toISOString() }).where('id', '=', id).execute();
    },

    changed,
  };
}

export type DeviceService = ReturnType<typeof createDeviceService>;

