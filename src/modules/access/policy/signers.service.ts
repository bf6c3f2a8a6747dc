import { randomUUID, type KeyObject } from 'node:crypto';
import type { Core } from '../../../core/index.js';
import { generateEd25519, privateKeyFrom, publicKeyFrom } from './jws.js';
import { currentSerial, nextSerial } from './serials.js';
import type { AccessSignerRow, SignerState } from './policy.tables.js';
import { policySealedColumns, sealContext } from './policy.sealed.js';

/** Rotation keeps the old signer verifying at least this long (and until the last SPC it signed expires). */
export const DEFAULT_OVERLAP_SECONDS = 7 * 24 * 3600;

export interface SignerView {
  kid: string;
  alg: 'Ed25519';
  public_key: string;
  state: SignerState;
  created_at: string;
  activated_at: string | null;
  retire_after: string | null;
}

export interface Anchor {
  kid: string;
  alg: 'Ed25519';
  public_key: string;
  state: SignerState;
  not_before: string;
  not_after: string | null;
}

/** A retiring signer past its retire_after is retired, whether or not a rotation has written it down yet. */
function effectiveState(row: Pick<AccessSignerRow, 'state' | 'retire_after'>, now: Date): SignerState {
  if (row.state === 'retiring' && row.retire_after !== null && row.retire_after <= now.toISOString()) return 'retired';
  return row.state;
}

/**
 * Ed25519 signers per tenant: exactly one active (signs bundles and SPCs), one next (published ahead so verifiers
 * know it before it signs), retiring ones that still verify during the overlap, and retired ones that no longer do.
 * Private keys are sealed at rest; unsealed keys are cached in memory by kid.
 */
export function createSignerService(core: Core) {
  const { db } = core;
  const keys = new Map<string, KeyObject>();
  const publicKeys = new Map<string, KeyObject>();
  const context = sealContext(policySealedColumns.signerPrivateKey);

  async function insertSigner(tenantId: string, state: 'active' | 'next', now: Date): Promise<void> {
    const pair = generateEd25519();
    await db.kysely
      .insertInto('access_signers')
      .values({
        kid: `k-${randomUUID()}`,
        tenant_id: tenantId,
        alg: 'Ed25519',
        public_key: pair.publicKey,
        private_key_sealed: core.secrets.seal(pair.privateKeyDer, context),
        state,
        created_at: now.toISOString(),
        activated_at: state === 'active' ? now.toISOString() : null,
        retire_after: null,
      })
      // Another node creating the tenant's first signers at the same moment wins: the partial unique indexes decide.
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  /** Creates the tenant's active and next signers on first use. */
  async function ensure(tenantId: string): Promise<void> {
    const states = await db.kysely.selectFrom('access_signers').select('state').where('tenant_id', '=', tenantId).where('state', 'in', ['active', 'next']).execute();
    const now = core.now();
    if (!states.some((s) => s.state === 'active')) await insertSigner(tenantId, 'active', now);
    if (!states.some((s) => s.state === 'next')) await insertSigner(tenantId, 'next', now);
  }

  async function active(tenantId: string): Promise<{ kid: string; key: KeyObject }> {
    let row = await db.kysely.selectFrom('access_signers').select(['kid', 'private_key_sealed']).where('tenant_id', '=', tenantId).where('state', '=', 'active').executeTakeFirst();
    if (!row) {
      await ensure(tenantId);
      row = await db.kysely.selectFrom('access_signers').select(['kid', 'private_key_sealed']).where('tenant_id', '=', tenantId).where('state', '=', 'active').executeTakeFirstOrThrow();
    }
    let key = keys.get(row.kid);
    if (!key) keys.set(row.kid, (key = privateKeyFrom(core.secrets.open(row.private_key_sealed, context))));
    return { kid: row.kid, key };
  }

  /** The public key that verifies signatures of this kid now, or undefined (unknown, retired, other tenant). */
  async function verifier(tenantId: string, kid: string): Promise<KeyObject | undefined> {
    const row = await db.kysely.selectFrom('access_signers').select(['public_key', 'state', 'retire_after']).where('kid', '=', kid).where('tenant_id', '=', tenantId).executeTakeFirst();
    if (!row || effectiveState(row, core.now()) === 'retired') return undefined;
    let key = publicKeys.get(kid);
    if (!key) publicKeys.set(kid, (key = publicKeyFrom(row.public_key)));
    return key;
  }

  async function rows(tenantId: string): Promise<AccessSignerRow[]> {
    await ensure(tenantId);
    return db.kysely.selectFrom('access_signers').selectAll().where('tenant_id', '=', tenantId).orderBy('created_at', 'desc').execute();
  }

  async function list(tenantId: string): Promise<SignerView[]> {
    const now = core.now();
    return (await rows(tenantId)).map((r) => ({
      kid: r.kid,
      alg: 'Ed25519',
      public_key: r.public_key,
      state: effectiveState(r, now),
      created_at: r.created_at,
      activated_at: r.activated_at,
      retire_after: r.retire_after,
    }));
  }

  /** GET /v1/trust/anchors: every signer that verifies now (next, active, retiring). */
  async function anchors(tenantId: string): Promise<{ serial: number; anchors: Anchor[] }> {
    const signers = (await list(tenantId)).filter((s) => s.state !== 'retired');
    return {
      serial: await currentSerial(db, tenantId, 'anchors'),
      anchors: signers.map((s) => ({ kid: s.kid, alg: s.alg, public_key: s.public_key, state: s.state, not_before: s.created_at, not_after: s.retire_after })),
    };
  }

  /**
   * next -> active, active -> retiring (verifying until now + overlap, or the expiry of the last live SPC it
   * signed if later), retiring ones past their time -> retired, and a fresh next. Runs in the caller's transaction.
   */
  async function rotate(tenantId: string, overlapSeconds: number, latestExpiry: (kid: string) => Promise<string | null>): Promise<{ retiring: string; active: string }> {
    await ensure(tenantId);
    const now = core.now();
    const iso = now.toISOString();
    const current = await db.kysely.selectFrom('access_signers').select('kid').where('tenant_id', '=', tenantId).where('state', '=', 'active').executeTakeFirstOrThrow();
    const next = await db.kysely.selectFrom('access_signers').select('kid').where('tenant_id', '=', tenantId).where('state', '=', 'next').executeTakeFirstOrThrow();
    await db.kysely.updateTable('access_signers').set({ state: 'retired' }).where('tenant_id', '=', tenantId).where('state', '=', 'retiring').where('retire_after', '<=', iso).execute();
    const overlapEnd = new Date(now.getTime() + overlapSeconds * 1000).toISOString();
    const lastSpc = await latestExpiry(current.kid);
    const retireAfter = lastSpc && lastSpc > overlapEnd ? lastSpc : overlapEnd;
    await db.kysely.updateTable('access_signers').set({ state: 'retiring', retire_after: retireAfter }).where('kid', '=', current.kid).execute();
    await db.kysely.updateTable('access_signers').set({ state: 'active', activated_at: iso }).where('kid', '=', next.kid).execute();
    await insertSigner(tenantId, 'next', now);
    await nextSerial(db, tenantId, 'anchors');
    return { retiring: current.kid, active: next.kid };
  }

  /** Writes down the retirement of retiring signers past their time (they already verify nothing). */
  async function retireDue(): Promise<number> {
    const res = await db.kysely.updateTable('access_signers').set({ state: 'retired' }).where('state', '=', 'retiring').where('retire_after', '<=', core.now().toISOString()).executeTakeFirst();
    return Number(res.numUpdatedRows);
  }

  return { ensure, active, verifier, list, anchors, rotate, retireDue };
}

export type SignerService = ReturnType<typeof createSignerService>;
