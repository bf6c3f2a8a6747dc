import type { Core } from '../../../core/index.js';
import { errors } from '../../../core/errors.js';
import type { AccessDevice, Channel, CurrentSpc, PostureVerdict } from '../access.types.js';
import { parseCompactJws, signCompactJws, verifyBytes } from './jws.js';
import { currentSerial, nextSerial } from './serials.js';
import type { SignerService } from './signers.service.js';
import type { AccessSpcRow } from './policy.tables.js';

export const SPC_DEFAULT_TTL_S = 24 * 3600;
export const SPC_MAX_TTL_S = 7 * 24 * 3600;
/** A rotated-away SPC keeps working this long, so a device can switch without a gap. */
export const SUPERSEDED_GRACE_S = 300;

export type SpcInvalidReason = 'malformed' | 'unknown_kid' | 'bad_signature' | 'not_yet_valid' | 'expired' | 'revoked' | 'superseded';

export interface IssuedSpc {
  spc: string;
  serial: number;
  expires_at: string;
  kid: string;
}

/** What the SPC vouches for about the device when it is issued. */
export interface SpcSubject {
  device: AccessDevice;
  group_ids: string[];
  posture_verdict: PostureVerdict;
  policy_digest: string | null;
  channel: Channel;
}

export interface SpcValidation {
  valid: boolean;
  reason: SpcInvalidReason | null;
  claims: Record<string, unknown> | null;
}

const seconds = (d: Date) => Math.floor(d.getTime() / 1000);
/** Ids from outside (hooks, forged claims) reach uuid columns only in that shape: PostgreSQL would refuse others. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * SPCs: short-lived signed credentials (compact JWS, EdDSA) saying which device, user, groups, posture and policy a
 * gateway may admit. Revoking one writes a revocation entry that lives until the SPC would have expired anyway.
 */
export function createSpcService(core: Core, signers: SignerService) {
  const { db } = core;

  async function issue(subject: SpcSubject, ttlSeconds = SPC_DEFAULT_TTL_S): Promise<IssuedSpc> {
    const { device } = subject;
    const now = core.now();
    const nowS = seconds(now);
    const serial = await nextSerial(db, device.tenant_id, 'spc');
    const expires = new Date((nowS + ttlSeconds) * 1000);
    const signer = await signers.active(device.tenant_id);
    const claims = {
      iss: 'rampart-access',
      sub: device.id,
      jti: String(serial),
      serial,
      tenant_id: device.tenant_id,
      device_id: device.id,
      user_id: device.user_id,
      device_public_key: device.public_key,
      group_ids: subject.group_ids,
      posture_verdict: subject.posture_verdict,
      policy_digest: subject.policy_digest,
      channel: subject.channel,
      iat: nowS,
      nbf: nowS,
      exp: seconds(expires),
    };
    const spc = signCompactJws(signer.key, { kid: signer.kid, typ: 'spc+jwt' }, claims);
    await db.kysely
      .insertInto('access_spcs')
      .values({
        tenant_id: device.tenant_id,
        serial,
        device_id: device.id,
        user_id: device.user_id,
        kid: signer.kid,
        policy_digest: subject.policy_digest,
        channel: subject.channel,
        not_before: new Date(nowS * 1000).toISOString(),
        expires_at: expires.toISOString(),
        status: 'active',
        superseded_at: null,
        revoked_at: null,
        revoke_reason: null,
      })
      .execute();
    return { spc, serial, expires_at: expires.toISOString(), kid: signer.kid };
  }

  /** Marks the device's active SPCs superseded (they keep a short grace), for a rotation. */
  async function supersede(tenantId: string, deviceId: string): Promise<void> {
    await db.kysely.updateTable('access_spcs').set({ status: 'superseded', superseded_at: core.now().toISOString() }).where('tenant_id', '=', tenantId).where('device_id', '=', deviceId).where('status', '=', 'active').execute();
  }

  async function revokeRows(rows: Pick<AccessSpcRow, 'tenant_id' | 'serial' | 'device_id' | 'expires_at'>[], reason: string): Promise<number> {
    if (rows.length === 0) return 0;
    const iso = core.now().toISOString();
    for (const r of rows) {
      await db.kysely.updateTable('access_spcs').set({ status: 'revoked', revoked_at: iso, revoke_reason: reason }).where('tenant_id', '=', r.tenant_id).where('serial', '=', r.serial).execute();
      await db.kysely
        .insertInto('access_spc_revocations')
        .values({ tenant_id: r.tenant_id, serial: r.serial, device_id: r.device_id, expires_at: r.expires_at, reason, revoked_at: iso })
        .onConflict((oc) => oc.columns(['tenant_id', 'serial']).doNothing())
        .execute();
    }
    const tenants = [...new Set(rows.map((r) => r.tenant_id))];
    for (const t of tenants) await nextSerial(db, t, 'revocations');
    return rows.length;
  }

  /** Revokes one SPC by serial: 404 when unknown, 409 when already revoked. */
  async function revokeSerial(tenantId: string, serial: number, reason: string): Promise<number> {
    const row = await db.kysely.selectFrom('access_spcs').selectAll().where('tenant_id', '=', tenantId).where('serial', '=', serial).executeTakeFirst();
    if (!row) throw errors.notFound(`SPC ${serial} not found`);
    if (row.status === 'revoked') throw errors.conflict(`SPC ${serial} is already revoked`);
    return revokeRows([row], reason);
  }

  /** Revokes every unexpired, unrevoked SPC of these devices; the count revoked. */
  async function revokeDevices(ids: string[], reason: string): Promise<{ count: number; tenants: string[] }> {
    const deviceIds = ids.filter((id) => UUID.test(id));
    if (deviceIds.length === 0) return { count: 0, tenants: [] };
    const rows = await db.kysely
      .selectFrom('access_spcs')
      .select(['tenant_id', 'serial', 'device_id', 'expires_at'])
      .where('device_id', 'in', deviceIds)
      .where('status', '!=', 'revoked')
      .where('expires_at', '>', core.now().toISOString())
      .execute();
    return { count: await revokeRows(rows, reason), tenants: [...new Set(rows.map((r) => r.tenant_id))] };
  }

  /** Offline checks (signature by a signer that verifies now, time window) then the revocation set. */
  async function validate(tenantIdHint: string | null, token: string): Promise<SpcValidation> {
    const jws = parseCompactJws(token);
    if (!jws || jws.header.alg !== 'EdDSA' || typeof jws.header.kid !== 'string') return { valid: false, reason: 'malformed', claims: null };
    const claims = jws.payload;
    const tenantId = typeof claims.tenant_id === 'string' ? claims.tenant_id : tenantIdHint;
    // Nothing a forged token names reaches a query unless it has the shape the columns hold.
    if (!tenantId || !UUID.test(tenantId) || (tenantIdHint !== null && tenantId !== tenantIdHint)) return { valid: false, reason: 'unknown_kid', claims: null };
    if (jws.header.kid.length > 64) return { valid: false, reason: 'unknown_kid', claims: null };
    const key = await signers.verifier(tenantId, jws.header.kid);
    if (!key) return { valid: false, reason: 'unknown_kid', claims: null };
    if (!verifyBytes(key, jws.signingInput, jws.signature)) return { valid: false, reason: 'bad_signature', claims: null };
    const nowS = seconds(core.now());
    if (typeof claims.nbf === 'number' && nowS < claims.nbf) return { valid: false, reason: 'not_yet_valid', claims };
    if (typeof claims.exp !== 'number' || nowS >= claims.exp) return { valid: false, reason: 'expired', claims };
    const serial = Number(claims.serial);
    if (!Number.isSafeInteger(serial) || serial < 1) return { valid: false, reason: 'malformed', claims };
    const row = await db.kysely.selectFrom('access_spcs').select(['status', 'superseded_at']).where('tenant_id', '=', tenantId).where('serial', '=', serial).executeTakeFirst();
    const entry = await db.kysely.selectFrom('access_spc_revocations').select('serial').where('tenant_id', '=', tenantId).where('serial', '=', serial).executeTakeFirst();
    if (entry || row?.status === 'revoked') return { valid: false, reason: 'revoked', claims };
    if (row?.status === 'superseded' && row.superseded_at && Date.parse(row.superseded_at) + SUPERSEDED_GRACE_S * 1000 <= core.now().getTime()) {
      return { valid: false, reason: 'superseded', claims };
    }
    return { valid: true, reason: null, claims };
  }

  /** GET /v1/spc/bundle: the unexpired revocation entries, and the kids that verify SPCs now. */
  async function bundle(tenantId: string) {
    const revoked = await db.kysely
      .selectFrom('access_spc_revocations')
      .select(['serial', 'expires_at'])
      .where('tenant_id', '=', tenantId)
      .where('expires_at', '>', core.now().toISOString())
      .orderBy('serial')
      .execute();
    const anchors = await signers.anchors(tenantId);
    return {
      serial: await currentSerial(db, tenantId, 'revocations'),
      revoked: revoked.map((r) => ({ serial: Number(r.serial), expires_at: r.expires_at })),
      signer_kids: anchors.anchors.filter((a) => a.state !== 'next').map((a) => a.kid),
    };
  }

  /** Deletes revocation entries whose SPC has expired (nothing could present it any more); the count pruned. */
  async function prune(): Promise<number> {
    const result = await db.kysely.deleteFrom('access_spc_revocations').where('expires_at', '<=', core.now().toISOString()).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** The latest expiry of the unrevoked SPCs a signer signed: rotation keeps it verifying until then. */
  async function latestExpiry(kid: string): Promise<string | null> {
    const row = await db.kysely.selectFrom('access_spcs').select((eb) => eb.fn.max('expires_at').as('latest')).where('kid', '=', kid).where('status', '!=', 'revoked').executeTakeFirst();
    return (row?.latest as string | null | undefined) ?? null;
  }

  async function forDevice(tenantId: string, deviceId: string) {
    return db.kysely.selectFrom('access_spcs').selectAll().where('tenant_id', '=', tenantId).where('device_id', '=', deviceId).orderBy('serial', 'desc').limit(20).execute();
  }

  /** The device's newest SPC and whether it holds now (hook spcStatus: admission grants end when it does). */
  async function status(tenantId: string, deviceId: string): Promise<CurrentSpc | null> {
    if (!UUID.test(deviceId) || !UUID.test(tenantId)) return null;
    const [newest] = await forDevice(tenantId, deviceId);
    if (!newest) return null;
    const now = core.now().getTime();
    const graceOver = newest.status === 'superseded' && (!newest.superseded_at || Date.parse(newest.superseded_at) + SUPERSEDED_GRACE_S * 1000 <= now);
    const reason = newest.status === 'revoked' ? 'revoked' : graceOver ? 'superseded' : Date.parse(newest.expires_at) <= now ? 'expired' : undefined;
    return { serial: String(newest.serial), expires_at: newest.expires_at, valid: reason === undefined, ...(reason ? { reason } : {}) };
  }

  return { status, issue, supersede, revokeSerial, revokeDevices, validate, bundle, prune, latestExpiry, forDevice };
}

export type SpcService = ReturnType<typeof createSpcService>;
