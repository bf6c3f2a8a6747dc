import { randomUUID } from 'node:crypto';
import type { Core } from '../../../core/index.js';
import { errors } from '../../../core/errors.js';
import { ACCESS_CHANGED, type AccessChange, type AccessHooks, type GatewayCaller } from '../access.types.js';
import { displayPrefix, hashSecret, newSecret, SECRET_PREFIX } from '../common/secrets.js';
import { accessErrors } from './gateway-errors.js';
import { gatewayStatus, type GatewayStatus } from './gateway-status.js';
import type { AccessGatewayRow } from './gateways.tables.js';
import type { ChangeFeed } from './change-feed.js';
import type { PoolService } from './pool.service.js';

export interface GatewayEnrollInput {
  token: string;
  public_key: string;
  /** host:port of its WireGuard listener, as devices reach it. */
  endpoint: string;
  name: string;
  admission_url?: string;
  version?: string;
  max_sessions?: number;
}

export interface GatewayView {
  id: string;
  pool_id: string;
  name: string;
  public_key: string;
  endpoint: string;
  host: string;
  port: number;
  admission_url: string | null;
  status: GatewayStatus;
  version: string | null;
  max_sessions: number | null;
  active_sessions: number;
  last_heartbeat_at: string | null;
  token_prefix: string;
  created_at: string;
}

export interface HeartbeatInput {
  status?: 'ok' | 'degraded';
  version?: string;
  active_sessions?: number;
}


const CREDENTIAL_TTL_MS = 60_000;
const CREDENTIALS_MAX = 10_000;

/** host:port with a bracketed IPv6 host allowed; port 1-65535. */
export function parseEndpoint(endpoint: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(endpoint);
  const port = m ? Number(m[2]) : 0;
  if (!m || port < 1 || port > 65535) throw accessErrors.invalid('endpoint must be host:port (port 1-65535)');
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}

/** Gateways: enrollment with a gateway token, their bearer credential, heartbeats and the fleet's health. */
export function createGatewayService(core: Core, hooks: AccessHooks, pools: PoolService, feed: ChangeFeed) {
  const { db } = core;
  const k = () => db.kysely;
  // Gateway credentials resolved recently (every gateway request needs one): dropped when any node removes or
  // enrolls a gateway (ACCESS_CHANGED reason gateway), and after a minute whatever happens.
  const credentials = new Map<string, { caller: GatewayCaller; until: number }>();
  let generation = 0;
  feed.onChange((change) => {
    if (change.reason !== 'gateway') return;
    generation++;
    credentials.clear();
  });

  function view(row: AccessGatewayRow, now = core.now()): GatewayView {
    const host = row.host.includes(':') ? `[${row.host}]` : row.host;
    return {
      id: row.id, pool_id: row.pool_id, name: row.name, public_key: row.public_key, endpoint: `${host}:${row.port}`, host: row.host, port: row.port,
      admission_url: row.admission_url, status: gatewayStatus(row, now), version: row.version, max_sessions: row.max_sessions,
      active_sessions: row.active_sessions, last_heartbeat_at: row.last_heartbeat_at, token_prefix: row.token_prefix, created_at: row.created_at,
    };
  }

  const changed = (tenantId: string, reason: AccessChange['reason']) => core.events.publish<AccessChange>(ACCESS_CHANGED, { tenant_id: tenantId, reason });

  async function rows(tenantId: string, poolId?: string): Promise<AccessGatewayRow[]> {
    let q = k().selectFrom('access_gateways').selectAll().where('tenant_id', '=', tenantId);
    if (poolId) q = q.where('pool_id', '=', poolId);
    return q.orderBy('name').orderBy('id').execute();
  }

  return {
    view,
    rows,

    /**
     * Redeems the gateway token (the enrollment part counts its use under a row lock, in this transaction) and
     * creates the gateway in the token's pool; the bearer secret is shown here once.
     */
    async enroll(input: GatewayEnrollInput) {
      const { host, port } = parseEndpoint(input.endpoint);
      return db.transaction(async () => {
        const token = await hooks.redeemGatewayToken(input.token);
        if (token.kind !== 'gateway') throw accessErrors.invalid('this is a device enrollment token; gateways enroll with a gateway token');
        if (!token.pool_id) throw accessErrors.invalid('the gateway token names no pool');
        const pool = await pools.row(token.pool_id);
        if (!pool || pool.tenant_id !== token.tenant_id) throw accessErrors.conflict('the pool this token was made for no longer exists');
        if (!(await hooks.tenantActive(token.tenant_id))) throw errors.forbidden('the tenant is suspended');
        await hooks.checkEntitlement(token.tenant_id, 'gateways');
        const secret = newSecret(SECRET_PREFIX.gateway);
        const now = core.now().toISOString();
        const row: AccessGatewayRow = {
          id: randomUUID(), tenant_id: token.tenant_id, pool_id: pool.id, name: input.name, public_key: input.public_key, host, port,
          admission_url: input.admission_url ?? null, reported_status: 'ok', version: input.version ?? null, max_sessions: input.max_sessions ?? null,
          token_hash: hashSecret(secret), token_prefix: displayPrefix(secret), enrollment_token_id: token.token_id,
          last_heartbeat_at: null, last_window_end: null, active_sessions: 0, created_at: now, updated_at: now,
        };
        await k().insertInto('access_gateways').values(row).execute();
        await changed(row.tenant_id, 'gateway');
        return {
          gateway_id: row.id, gateway_token: secret, pool_id: pool.id, tenant_id: row.tenant_id, name: row.name, channel: pool.channel,
          status: view(row).status, heartbeat_interval_s: 15,
        };
      });
    },

    /** The gateway a bearer secret belongs to (the gatewayCaller hook common/caller.ts asks), if any. */
    async byToken(secret: string): Promise<GatewayCaller | undefined> {
      const hash = hashSecret(secret);
      const now = Date.now();
      const known = credentials.get(hash);
      if (known && now < known.until) return known.caller;
      const startedAt = generation;
      const row = await k().selectFrom('access_gateways').select(['id', 'pool_id', 'tenant_id']).where('token_hash', '=', hash).executeTakeFirst();
      if (!row) return undefined;
      const caller: GatewayCaller = { kind: 'gateway', gateway_id: row.id, pool_id: row.pool_id, tenant_id: row.tenant_id };
      if (credentials.size >= CREDENTIALS_MAX) credentials.clear();
      // A removal that landed while this looked the row up must not be undone by caching what it read.
      if (startedAt === generation) credentials.set(hash, { caller, until: now + CREDENTIAL_TTL_MS });
      return caller;
    },

    async heartbeat(caller: GatewayCaller, input: HeartbeatInput): Promise<GatewayView> {
      const before = await k().selectFrom('access_gateways').selectAll().where('id', '=', caller.gateway_id).executeTakeFirst();
      if (!before) throw errors.unauthorized('the gateway was removed');
      const now = core.now();
      const patch = {
        last_heartbeat_at: now.toISOString(), updated_at: now.toISOString(), reported_status: input.status ?? 'ok',
        ...(input.version !== undefined ? { version: input.version } : {}),
        ...(input.active_sessions !== undefined ? { active_sessions: input.active_sessions } : {}),
      };
      await k().updateTable('access_gateways').set(patch).where('id', '=', caller.gateway_id).execute();
      const after = view({ ...before, ...patch }, now);
      // Devices pick gateways from the pool directory: a gateway coming into or out of service changes it.
      if (view(before, now).status !== after.status) await changed(caller.tenant_id, 'gateway');
      return after;
    },

    async get(tenantId: string, id: string): Promise<GatewayView> {
      const row = await k().selectFrom('access_gateways').selectAll().where('id', '=', id).where('tenant_id', '=', tenantId).executeTakeFirst();
      if (!row) throw accessErrors.notFound('gateway');
      return view(row);
    },

    /** Removes a gateway: its credential stops working at once and its sessions go with it. */
    async remove(tenantId: string, id: string): Promise<void> {
      const gone = await k().deleteFrom('access_gateways').where('id', '=', id).where('tenant_id', '=', tenantId).executeTakeFirst();
      if (Number(gone.numDeletedRows) === 0) throw accessErrors.notFound('gateway');
      await changed(tenantId, 'gateway');
    },

    /** GET /v1/admin/gateway/health: each pool's healthy count against its minimum, and every gateway. */
    async health(tenantId: string) {
      const now = core.now();
      const [poolList, all] = await Promise.all([pools.list(tenantId), rows(tenantId)]);
      const gateways = all.map((r) => view(r, now));
      return {
        generated_at: now.toISOString(),
        pools: poolList.map((p) => {
          const mine = gateways.filter((g) => g.pool_id === p.id);
          const healthy = mine.filter((g) => g.status === 'online').length;
          return { pool_id: p.id, name: p.name, region: p.region, healthy, total: mine.length, min_healthy: p.min_healthy, ok: healthy >= p.min_healthy };
        }),
        gateways,
      };
    },
  };
}

export type GatewayService = ReturnType<typeof createGatewayService>;
