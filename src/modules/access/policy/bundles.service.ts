import { randomUUID } from 'node:crypto';
import type { Core } from '../../../core/index.js';
import { errors } from '../../../core/errors.js';
import { ACCESS_CHANGED, type AccessChange, type Channel } from '../access.types.js';
import { canonicalJson, digestOf } from './canonical.js';
import { signBytes } from './jws.js';
import { nextSerial } from './serials.js';
import type { SignerService } from './signers.service.js';
import type { AccessPolicyBundleRow, BundleStatus } from './policy.tables.js';
import type { BundleContent, CanarySelector } from './bundle.model.js';

export interface BundleView {
  id: string;
  serial: number;
  digest: string;
  channel: Channel;
  status: BundleStatus;
  default_action: 'deny';
  posture: BundleContent['posture'];
  rules: BundleContent['rules'];
  canary: CanarySelector | null;
  notes: string | null;
  source_bundle_id: string | null;
  kid: string;
  signature: string;
  published_by: string;
  published_at: string;
}

export interface Published {
  bundle_id: string;
  serial: number;
  digest: string;
  channel: Channel;
}

/** The live bundles of a tenant: what devices are served. */
export interface LiveBundles {
  stable?: BundleView;
  canary?: BundleView;
}

/**
 * What a bundle's signature covers: its digest bound to its tenant, serial and channel, so an old or foreign
 * bundle cannot be replayed as the current one. Verifiers rebuild these bytes from the bundle they got.
 */
export const signedBytes = (b: { tenant_id: string; serial: number; channel: Channel; digest: string }) =>
  canonicalJson({ channel: b.channel, digest: b.digest, serial: b.serial, tenant_id: b.tenant_id });

export function bundleView(row: AccessPolicyBundleRow, fromJson: <T>(v: unknown) => T): BundleView {
  const content = fromJson<BundleContent>(row.content);
  return {
    id: row.id,
    serial: Number(row.serial),
    digest: row.digest,
    channel: row.channel,
    status: row.status,
    default_action: content.default_action,
    posture: content.posture,
    rules: content.rules,
    canary: row.canary === null ? null : fromJson<CanarySelector>(row.canary),
    notes: row.notes,
    source_bundle_id: row.source_bundle_id,
    kid: row.kid,
    signature: row.signature,
    published_by: row.published_by,
    published_at: row.published_at,
  };
}

/**
 * Policy bundles: publish to stable or to a canary subset, promote the canary, roll back. Each publication is a
 * new row with the tenant's next serial, signed by the active signer; at most one live bundle per channel.
 */
export function createBundleService(core: Core, signers: SignerService) {
  const { db } = core;
  const fromJson = db.dialect.fromJson;
  // Live bundles by tenant, dropped on every change here (after commit) and on other nodes' ACCESS_CHANGED.
  const liveCache = new Map<string, Promise<LiveBundles>>();
  // Bumped on every invalidation: a load that began before one is not kept (it may have read the old rows).
  let generation = 0;
  const invalidate = (tenantId: string) => {
    generation++;
    liveCache.delete(tenantId);
  };
  core.events.subscribe(ACCESS_CHANGED, (event) => {
    const change = event.payload as AccessChange;
    if (change.reason === 'bundle' || change.reason === 'signer') invalidate(change.tenant_id);
  });

  function changed(tenantId: string, reason: AccessChange['reason'] = 'bundle') {
    db.afterCommit(() => invalidate(tenantId));
    return core.events.publish<AccessChange>(ACCESS_CHANGED, { tenant_id: tenantId, reason });
  }

  async function liveRow(tenantId: string, status: 'stable' | 'canary') {
    return db.kysely.selectFrom('access_policy_bundles').selectAll().where('tenant_id', '=', tenantId).where('status', '=', status).executeTakeFirst();
  }

  /** Ends the channel's live bundle (superseded or rolled back). */
  async function endLive(tenantId: string, status: 'stable' | 'canary', as: 'superseded' | 'rolled_back') {
    await db.kysely.updateTable('access_policy_bundles').set({ status: as, ended_at: core.now().toISOString() }).where('tenant_id', '=', tenantId).where('status', '=', status).execute();
  }

  async function insert(tenantId: string, input: { channel: Channel; content: BundleContent; canary: CanarySelector | null; notes: string | null; source: string | null; by: string }): Promise<Published> {
    const serial = await nextSerial(db, tenantId, 'bundle');
    const digest = digestOf(input.content);
    const signer = await signers.active(tenantId);
    const id = randomUUID();
    await endLive(tenantId, input.channel, 'superseded');
    await db.kysely
      .insertInto('access_policy_bundles')
      .values({
        id,
        tenant_id: tenantId,
        serial,
        digest,
        channel: input.channel,
        status: input.channel,
        content: db.dialect.toJson(input.content),
        canary: input.canary === null ? null : db.dialect.toJson(input.canary),
        notes: input.notes,
        source_bundle_id: input.source,
        kid: signer.kid,
        signature: signBytes(signer.key, signedBytes({ tenant_id: tenantId, serial, channel: input.channel, digest })),
        published_by: input.by,
        published_at: core.now().toISOString(),
        ended_at: null,
      })
      .execute();
    await changed(tenantId);
    return { bundle_id: id, serial, digest, channel: input.channel };
  }

  async function get(tenantId: string, id: string): Promise<BundleView> {
    const row = await db.kysely.selectFrom('access_policy_bundles').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
    if (!row) throw errors.notFound(`policy bundle ${id} not found`);
    return bundleView(row, fromJson);
  }

  async function publish(tenantId: string, input: { channel: Channel; content?: BundleContent; bundle_id?: string; canary: CanarySelector | null; notes: string | null; by: string }): Promise<Published> {
    const content = input.content ?? contentOf(await get(tenantId, input.bundle_id!));
    return insert(tenantId, { channel: input.channel, content, canary: input.channel === 'canary' ? input.canary : null, notes: input.notes, source: input.bundle_id ?? null, by: input.by });
  }

  /** The live canary's content becomes stable (same digest, new serial); the canary ends. */
  async function promote(tenantId: string, input: { bundle_id?: string; by: string }): Promise<Published> {
    const canary = await liveRow(tenantId, 'canary');
    if (!canary) throw errors.conflict('there is no canary bundle to promote');
    if (input.bundle_id !== undefined && input.bundle_id !== canary.id) {
      await get(tenantId, input.bundle_id); // 404 when unknown
      throw errors.conflict(`bundle ${input.bundle_id} is not the live canary`);
    }
    await endLive(tenantId, 'canary', 'superseded');
    return insert(tenantId, { channel: 'stable', content: fromJson<BundleContent>(canary.content), canary: null, notes: canary.notes, source: canary.id, by: input.by });
  }

  /**
   * Stable: the live bundle is marked rolled back and the target's content (the given bundle, else the stable one
   * before it) is republished under a new serial. Canary: the canary ends and its devices fall back to stable.
   */
  async function rollback(tenantId: string, input: { channel: Channel; bundle_id?: string; by: string }): Promise<Published> {
    const current = await liveRow(tenantId, input.channel);
    if (!current) throw errors.conflict(`there is no live ${input.channel} bundle to roll back`);
    if (input.channel === 'canary') {
      await endLive(tenantId, 'canary', 'rolled_back');
      await changed(tenantId);
      const stable = await liveRow(tenantId, 'stable');
      return { bundle_id: stable?.id ?? current.id, serial: Number(stable?.serial ?? current.serial), digest: stable?.digest ?? current.digest, channel: 'stable' };
    }
    const target = input.bundle_id !== undefined ? await get(tenantId, input.bundle_id) : await previousStable(tenantId, Number(current.serial));
    if (!target) throw errors.conflict('there is no earlier stable bundle to roll back to');
    if (target.id === current.id) throw errors.conflict('that bundle is the live stable bundle');
    await endLive(tenantId, 'stable', 'rolled_back');
    return insert(tenantId, { channel: 'stable', content: contentOf(target), canary: null, notes: `rollback to serial ${target.serial}`, source: target.id, by: input.by });
  }

  async function previousStable(tenantId: string, before: number): Promise<BundleView | undefined> {
    const row = await db.kysely
      .selectFrom('access_policy_bundles')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('channel', '=', 'stable')
      .where('status', '=', 'superseded')
      .where('serial', '<', before)
      .orderBy('serial', 'desc')
      .executeTakeFirst();
    return row && bundleView(row, fromJson);
  }

  async function list(tenantId: string, q: { channel?: Channel; status?: BundleStatus; limit: number; cursor?: number }) {
    let query = db.kysely.selectFrom('access_policy_bundles').selectAll().where('tenant_id', '=', tenantId);
    if (q.channel) query = query.where('channel', '=', q.channel);
    if (q.status) query = query.where('status', '=', q.status);
    if (q.cursor !== undefined) query = query.where('serial', '<', q.cursor);
    const rows = await query.orderBy('serial', 'desc').limit(q.limit + 1).execute();
    const items = rows.slice(0, q.limit).map((r) => bundleView(r, fromJson));
    return { items, next_cursor: rows.length > q.limit ? String(items[items.length - 1].serial) : null };
  }

  /** The newest bundle with this digest (digests repeat across promote and rollback; content does not differ). */
  async function byDigest(tenantId: string, digest: string): Promise<BundleView> {
    const row = await db.kysely.selectFrom('access_policy_bundles').selectAll().where('tenant_id', '=', tenantId).where('digest', '=', digest).orderBy('serial', 'desc').executeTakeFirst();
    if (!row) throw errors.notFound(`no policy bundle has digest ${digest}`);
    return bundleView(row, fromJson);
  }

  function live(tenantId: string): Promise<LiveBundles> {
    const cached = liveCache.get(tenantId);
    if (cached) return cached;
    const started = generation;
    const loading = (async () => {
      const rows = await db.kysely.selectFrom('access_policy_bundles').selectAll().where('tenant_id', '=', tenantId).where('status', 'in', ['stable', 'canary']).execute();
      const out: LiveBundles = {};
      for (const r of rows) out[r.status as 'stable' | 'canary'] = bundleView(r, fromJson);
      return out;
    })();
    liveCache.set(tenantId, loading);
    loading.then(
      () => void (generation !== started && liveCache.get(tenantId) === loading && liveCache.delete(tenantId)),
      () => void (liveCache.get(tenantId) === loading && liveCache.delete(tenantId)),
    );
    return loading;
  }

  /** After a signer rotation: the live bundles signed again by the new active signer (same serial and digest). */
  async function resign(tenantId: string): Promise<void> {
    const signer = await signers.active(tenantId);
    for (const status of ['stable', 'canary'] as const) {
      const row = await liveRow(tenantId, status);
      if (!row) continue;
      const signature = signBytes(signer.key, signedBytes({ tenant_id: tenantId, serial: Number(row.serial), channel: row.channel, digest: row.digest }));
      await db.kysely.updateTable('access_policy_bundles').set({ kid: signer.kid, signature }).where('id', '=', row.id).execute();
    }
    db.afterCommit(() => invalidate(tenantId));
  }

  return { publish, promote, rollback, get, list, byDigest, live, resign };
}

export const contentOf = (b: Pick<BundleView, 'default_action' | 'posture' | 'rules'>): BundleContent => ({ default_action: b.default_action, posture: b.posture, rules: b.rules });

export type BundleService = ReturnType<typeof createBundleService>;
