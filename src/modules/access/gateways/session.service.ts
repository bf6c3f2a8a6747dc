import type { Core } from '../../../core/index.js';
import { errors } from '../../../core/errors.js';
import { type AccessDevice, type AccessHooks, type GatewayCaller } from '../access.types.js';
import { decodeCursor, pageOf } from '../common/cursor.js';
import { accessErrors } from './gateway-errors.js';
import type { AccessSessionRow, SessionState } from './gateways.tables.js';

export interface MeteringInput {
  gateway_id?: string;
  window_start: string;
  window_end: string;
  active_sessions: number;
  sessions: {
    session_id: string;
    device_id: string;
    /** Bytes in this window (not running totals), so only the window's idempotency keeps them counted once. */
    bytes_rx: number;
    bytes_tx: number;
    started_at: string;
    ended_at?: string | null;
    client_ip?: string | null;
  }[];
}

export interface TelemetryInput {
  session_id: string;
  gateway_id: string;
  rtt_ms?: number;
  loss_pct?: number;
  bytes_rx?: number;
  bytes_tx?: number;
}

/** A session as the admin API shows it: its row without the tenant and telemetry time, the flag as a boolean. */
export type SessionView = Omit<AccessSessionRow, 'tenant_id' | 'telemetry_at' | 'reported_active'> & {
  /** Whether the gateway's newest metering window still carried it. */
  reported_active: boolean;
};

export interface SessionQuery {
  state?: SessionState;
  device_id?: string;
  user_id?: string;
  gateway_id?: string;
  limit: number;
  cursor?: string;
}

/** VPN sessions, built from gateways' metering windows and devices' telemetry. */
export function createSessionService(core: Core, hooks: AccessHooks) {
  const { db } = core;
  const k = () => db.kysely;

  const view = (row: AccessSessionRow): SessionView => {
    const { tenant_id: _t, telemetry_at: _x, reported_active, ...rest } = row;
    return { ...rest, bytes_rx: Number(row.bytes_rx), bytes_tx: Number(row.bytes_tx), reported_active: db.dialect.fromBool(reported_active) };
  };

  async function deviceOf(deviceId: string): Promise<AccessDevice | undefined> {
    return hooks.device(deviceId).catch(() => undefined);
  }

  /** A window's bytes count in the UTC month the window ended in (tenants/ reads them per month for usage). */
  async function meterMonth(tenantId: string, sessionId: string, windowEnd: string, rx: number, tx: number): Promise<void> {
    if (rx <= 0 && tx <= 0) return;
    await k().insertInto('access_session_usage')
      .values({ session_id: sessionId, tenant_id: tenantId, period: windowEnd.slice(0, 7), bytes_rx: rx, bytes_tx: tx })
      .onConflict((oc) => oc.columns(['session_id', 'period']).doUpdateSet((eb) => ({
        bytes_rx: eb('access_session_usage.bytes_rx', '+', eb.ref('excluded.bytes_rx')),
        bytes_tx: eb('access_session_usage.bytes_tx', '+', eb.ref('excluded.bytes_tx')),
      })))
      .execute();
  }

  /** One session of a window; `newest` when the window is the gateway's newest (it then says what is up now). */
  async function applySession(caller: GatewayCaller, s: MeteringInput['sessions'][number], windowEnd: string, newest: boolean): Promise<void> {
    const existing = await k().selectFrom('access_sessions').selectAll().where('id', '=', s.session_id).executeTakeFirst();
    if (existing && existing.gateway_id !== caller.gateway_id) return; // another gateway's id: never merged
    const ended = s.ended_at ?? null;
    if (!existing) {
      const found = await deviceOf(s.device_id);
      // Another tenant's device is unknown here: its user and address stay out of this tenant's record.
      const device = found?.tenant_id === caller.tenant_id ? found : undefined;
      await k().insertInto('access_sessions').values({
        id: s.session_id, tenant_id: caller.tenant_id, device_id: s.device_id, user_id: device?.user_id ?? null, gateway_id: caller.gateway_id,
        pool_id: caller.pool_id, client_ip: s.client_ip ?? null, overlay_ip: device?.overlay_ip ?? null, state: ended ? 'closed' : 'active',
        started_at: s.started_at, last_seen_at: ended ?? windowEnd, bytes_rx: s.bytes_rx, bytes_tx: s.bytes_tx,
        closed_reason: ended ? 'ended' : null, closed_at: ended, reported_active: db.dialect.toBool(newest && !ended), rtt_ms: null, loss_pct: null, telemetry_at: null,
      }).execute();
      await meterMonth(caller.tenant_id, s.session_id, windowEnd, s.bytes_rx, s.bytes_tx);
      return;
    }
    // A session the control plane closed stays closed though the gateway still reports it: connection_truth flags that.
    const closeNow = ended && existing.state === 'active';
    await k().updateTable('access_sessions').set({
      bytes_rx: Number(existing.bytes_rx) + s.bytes_rx, bytes_tx: Number(existing.bytes_tx) + s.bytes_tx,
      ...(newest ? { last_seen_at: ended ?? windowEnd, reported_active: db.dialect.toBool(!ended) } : {}),
      ...(s.client_ip ? { client_ip: s.client_ip } : {}),
      ...(closeNow ? { state: 'closed' as const, closed_reason: 'ended', closed_at: ended } : {}),
    }).where('id', '=', s.session_id).execute();
    await meterMonth(existing.tenant_id, s.session_id, windowEnd, s.bytes_rx, s.bytes_tx);
  }

  return {
    view,

    /** Records one metering window of a gateway once: a retry of the same window changes nothing. */
    async meter(caller: GatewayCaller, input: MeteringInput): Promise<{ recorded: boolean; window_start: string; sessions: number }> {
      if (input.gateway_id && input.gateway_id !== caller.gateway_id) throw accessErrors.invalid('gateway_id is not the calling gateway');
      if (new Date(input.window_end).getTime() < new Date(input.window_start).getTime()) throw accessErrors.invalid('window_end is before window_start');
      const windowStart = new Date(input.window_start).toISOString();
      const windowEnd = new Date(input.window_end).toISOString();
      return db.transaction(async () => {
        const gw = await k().selectFrom('access_gateways').select('last_window_end').where('id', '=', caller.gateway_id).executeTakeFirst();
        if (!gw) throw errors.unauthorized('the gateway was removed');
        const inserted = await k()
          .insertInto('access_metering_windows')
          .values({ gateway_id: caller.gateway_id, window_start: windowStart, window_end: windowEnd, active_sessions: input.active_sessions, session_count: input.sessions.length, received_at: core.now().toISOString() })
          .onConflict((oc) => oc.columns(['gateway_id', 'window_start']).doNothing())
          .returning('gateway_id')
          .executeTakeFirst();
        if (!inserted) return { recorded: false, window_start: windowStart, sessions: input.sessions.length };
        // Only its newest window says what is up there now (a late retry of an older one must not undo it).
        const newest = !gw.last_window_end || gw.last_window_end <= windowEnd;
        for (const s of input.sessions) await applySession(caller, s, windowEnd, newest);
        if (!newest) return { recorded: true, window_start: windowStart, sessions: input.sessions.length };
        const reported = input.sessions.map((s) => s.session_id);
        let gone = k().updateTable('access_sessions').set({ reported_active: db.dialect.toBool(false) }).where('gateway_id', '=', caller.gateway_id);
        if (reported.length) gone = gone.where('id', 'not in', reported);
        await gone.execute();
        await k().updateTable('access_gateways').set({ last_window_end: windowEnd, active_sessions: input.active_sessions }).where('id', '=', caller.gateway_id).execute();
        return { recorded: true, window_start: windowStart, sessions: input.sessions.length };
      });
    },

    /** A device's own view of its session (rtt, loss); the session must be its own. */
    async telemetry(device: AccessDevice, input: TelemetryInput): Promise<SessionView> {
      const now = core.now().toISOString();
      const row = await k().selectFrom('access_sessions').selectAll().where('id', '=', input.session_id).executeTakeFirst();
      if (row && row.device_id !== device.id) throw accessErrors.notFound('session');
      const metrics = { rtt_ms: input.rtt_ms ?? null, loss_pct: input.loss_pct ?? null, telemetry_at: now };
      if (row) {
        await k().updateTable('access_sessions').set(metrics).where('id', '=', row.id).execute();
        return view({ ...row, ...metrics });
      }
      const gateway = await k().selectFrom('access_gateways').select(['id', 'pool_id']).where('id', '=', input.gateway_id).executeTakeFirst();
      if (!gateway) throw accessErrors.notFound('gateway');
      // Telemetry can arrive before the gateway's first window: the session starts here and metering fills it in.
      const created: AccessSessionRow = {
        id: input.session_id, tenant_id: device.tenant_id, device_id: device.id, user_id: device.user_id, gateway_id: gateway.id, pool_id: gateway.pool_id,
        client_ip: null, overlay_ip: device.overlay_ip, state: 'active', started_at: now, last_seen_at: now, bytes_rx: 0, bytes_tx: 0,
        closed_reason: null, closed_at: null, reported_active: db.dialect.toBool(false), ...metrics,
      };
      await k().insertInto('access_sessions').values(created).execute();
      return view(created);
    },

    /** Newest started first, by keyset over (started_at, id): a page never skips or repeats a session. */
    async list(tenantId: string, query: SessionQuery): Promise<{ items: SessionView[]; next_cursor: string | null }> {
      let q = k().selectFrom('access_sessions').selectAll().where('tenant_id', '=', tenantId);
      if (query.state) q = q.where('state', '=', query.state);
      if (query.device_id) q = q.where('device_id', '=', query.device_id);
      if (query.user_id) q = q.where('user_id', '=', query.user_id);
      if (query.gateway_id) q = q.where('gateway_id', '=', query.gateway_id);
      if (query.cursor) {
        const key = decodeCursor(query.cursor);
        q = q.where((eb) => eb.or([eb('started_at', '<', key.t), eb.and([eb('started_at', '=', key.t), eb('id', '<', key.id)])]));
      }
      const rows = await q.orderBy('started_at', 'desc').orderBy('id', 'desc').limit(query.limit + 1).execute();
      const page = pageOf(rows.map((r) => ({ ...r, created_at: r.started_at })), query.limit);
      return { items: page.items.map(({ created_at: _c, ...row }) => view(row)), next_cursor: page.next_cursor };
    },

    /** The closeSessions hook: ends the control plane's record of these devices' live sessions. */
    async close(deviceIds: string[], reason: string): Promise<void> {
      if (deviceIds.length === 0) return;
      const now = core.now().toISOString();
      await k().updateTable('access_sessions').set({ state: 'closed', closed_reason: reason, closed_at: now }).where('device_id', 'in', deviceIds).where('state', '=', 'active').execute();
    },

    /** Sessions the truth report weighs: live in the control plane's record or still reported by their gateway. */
    async liveOrReported(tenantId: string): Promise<AccessSessionRow[]> {
      return k()
        .selectFrom('access_sessions')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where((eb) => eb.or([eb('state', '=', 'active'), eb('reported_active', '=', db.dialect.toBool(true) as never)]))
        .execute();
    },

    /** Deletes the tenant's closed sessions that closed before `before` (retention); with dryRun only counts them. */
    /**
     * The recompute_usage workflow: each session's monthly usage rows must add up to its metered totals. A session
     * whose rows fall short (metered before usage was kept per month, or rows lost) gets the difference in the month it
     * was last seen; one whose rows exceed its totals has them rebuilt as its totals in that month. With dryRun only
     * reports what it would change.
     */
    async recomputeUsage(tenantId: string, dryRun: boolean) {
      return db.transaction(async () => {
        const rows = await k().selectFrom('access_sessions as s')
          .leftJoin('access_session_usage as u', 'u.session_id', 's.id')
          .select((eb) => ['s.id', 's.last_seen_at', 's.bytes_rx', 's.bytes_tx',
            eb.fn.coalesce(eb.fn.sum<number | string>('u.bytes_rx'), eb.lit(0)).as('used_rx'),
            eb.fn.coalesce(eb.fn.sum<number | string>('u.bytes_tx'), eb.lit(0)).as('used_tx')])
          .where('s.tenant_id', '=', tenantId)
          .groupBy(['s.id', 's.last_seen_at', 's.bytes_rx', 's.bytes_tx'])
          .execute();
        const result = { sessions_checked: rows.length, sessions_adjusted: 0, bytes_rx_added: 0, bytes_tx_added: 0 };
        for (const row of rows) {
          const [rx, tx] = [Number(row.bytes_rx) - Number(row.used_rx), Number(row.bytes_tx) - Number(row.used_tx)];
          if (rx === 0 && tx === 0) continue;
          result.sessions_adjusted += 1;
          result.bytes_rx_added += rx;
          result.bytes_tx_added += tx;
          if (dryRun) continue;
          const lastSeen = new Date(row.last_seen_at).toISOString();
          if (rx < 0 || tx < 0) {
            await k().deleteFrom('access_session_usage').where('session_id', '=', row.id).execute();
            await meterMonth(tenantId, row.id, lastSeen, Number(row.bytes_rx), Number(row.bytes_tx));
          } else {
            await meterMonth(tenantId, row.id, lastSeen, rx, tx);
          }
        }
        return result;
      });
    },

    async pruneClosed(tenantId: string, before: string, dryRun: boolean): Promise<number> {
      if (dryRun) {
        const r = await k().selectFrom('access_sessions').select((eb) => eb.fn.countAll<number>().as('n')).where('tenant_id', '=', tenantId).where('state', '=', 'closed').where('closed_at', '<', before).executeTakeFirstOrThrow();
        return Number(r.n);
      }
      const r = await k().deleteFrom('access_sessions').where('tenant_id', '=', tenantId).where('state', '=', 'closed').where('closed_at', '<', before).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}

export type SessionService = ReturnType<typeof createSessionService>;
