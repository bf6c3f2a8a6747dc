import { randomUUID } from 'node:crypto';
import type { Core } from '../../../core/index.js';
import { errors } from '../../../core/errors.js';
import { DEFAULT_TENANT_ID, type RedeemedToken } from '../access.types.js';
import { accessErrors } from '../common/access-errors.js';
import { identityTenant } from '../common/tenant-scope.js';
import { afterCursor, pageOf } from '../common/cursor.js';
import { displayPrefix, hashSecret, newSecret, SECRET_PREFIX } from '../common/secrets.js';
import type { AccessTokenRow, TokenKind } from './enrollment.tables.js';
import { tokenStatus, toTokenView, type TokenInput, type TokenStatus, type TokenView } from './token.types.js';

const HOUR_MS = 3_600_000;
const MAX_USES_LIMIT = 100_000;

export interface TokenFilter {
  status?: TokenStatus;
  kind?: TokenKind;
  tenant_id?: string;
  bound_user_id?: string;
  limit?: number;
  cursor?: string;
}

/** A redeemed token with what the enrolling part needs beyond the shared contract. */
export type Redemption = RedeemedToken & { bound_email: string | null; approval_required: boolean };

/** Enrollment tokens: generate (the secret shown once), list, get, revoke, and redeem under concurrency. */
export function createTokenService(core: Core) {
  const { db } = core;
  const k = () => db.kysely;
  const cfg = () => core.config.access;
  const groupsOf = (row: AccessTokenRow) => db.dialect.fromJson<string[]>(row.auto_group_ids) ?? [];
  const view = (row: AccessTokenRow) => toTokenView(row, groupsOf(row), core.now());

  function expiryOf(input: TokenInput, now: Date): string {
    if (input.expires_at !== undefined && input.expires_in_s !== undefined) throw accessErrors.invalid('give expires_at or expires_in_s, not both');
    const at =
      input.expires_at !== undefined ? Date.parse(input.expires_at)
      : input.expires_in_s !== undefined ? now.getTime() + input.expires_in_s * 1000
      : now.getTime() + cfg().token_default_ttl_hours * HOUR_MS;
    if (at <= now.getTime()) throw accessErrors.invalid('expires_at must be in the future');
    if (at - now.getTime() > cfg().token_max_ttl_days * 24 * HOUR_MS) throw accessErrors.invalid(`a token lives at most ${cfg().token_max_ttl_days} days`);
    return new Date(at).toISOString();
  }

  /**
   * Bound users and auto groups must exist now (a typo would otherwise enroll devices into nothing), and be the
   * token's tenant's: another tenant's are as unknown as a typo (the default tenant's administrators see every one).
   */
  async function checkReferences(input: TokenInput): Promise<void> {
    const tenant = identityTenant(input.tenant_id ?? DEFAULT_TENANT_ID);
    if (input.bound_user_id) {
      let q = k().selectFrom('users').select('id').where('id', '=', input.bound_user_id);
      if (tenant !== null) q = q.where('tenant_id', '=', tenant);
      if (!(await q.executeTakeFirst())) throw accessErrors.invalid('bound_user_id does not name a user');
    }
    const groups = [...new Set(input.auto_group_ids ?? [])];
    if (groups.length) {
      let q = k().selectFrom('groups').select('id').where('id', 'in', groups);
      if (tenant !== null) q = q.where('tenant_id', '=', tenant);
      const found = await q.execute();
      if (found.length !== groups.length) throw accessErrors.invalid('auto_group_ids names a group that does not exist');
    }
    if ((input.kind ?? 'device') === 'gateway' && !input.pool_id) throw accessErrors.invalid('a gateway token needs pool_id');
    if (input.pool_id) {
      const pool = await k().selectFrom('access_gateway_pools').select('tenant_id').where('id', '=', input.pool_id).executeTakeFirst();
      if (pool?.tenant_id !== (input.tenant_id ?? DEFAULT_TENANT_ID)) throw accessErrors.invalid('pool_id does not name a pool of this tenant');
    }
  }

  async function rowOf(id: string, tenantId?: string): Promise<AccessTokenRow> {
    const row = await k().selectFrom('access_enrollment_tokens').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || (tenantId !== undefined && row.tenant_id !== tenantId)) throw accessErrors.notFound('token');
    return row;
  }

  /** Why a token cannot be used now: 403 for a used-up, expired or revoked one. */
  function refusal(row: AccessTokenRow) {
    const status = tokenStatus(row, core.now());
    const why = { revoked: 'has been revoked', expired: 'has expired', exhausted: 'has been used up', active: 'cannot be used now' }[status];
    return errors.forbidden(`enrollment token ${why}`);
  }

  return {
    async generate(input: TokenInput, createdBy: string): Promise<{ token: TokenView; secret: string }> {
      const now = core.now();
      const maxUses = input.max_uses ?? 1;
      if (maxUses > MAX_USES_LIMIT) throw accessErrors.invalid(`max_uses is at most ${MAX_USES_LIMIT} (0: unlimited)`);
      await checkReferences(input);
      const secret = newSecret(SECRET_PREFIX.enrollment);
      const row: AccessTokenRow = {
        id: randomUUID(), tenant_id: input.tenant_id ?? DEFAULT_TENANT_ID, name: input.name ?? '', prefix: displayPrefix(secret),
        secret_hash: hashSecret(secret), kind: input.kind ?? 'device', max_uses: maxUses, use_count: 0, expires_at: expiryOf(input, now),
        bound_user_id: input.bound_user_id ?? null, bound_email: input.bound_email?.toLowerCase() ?? null,
        auto_group_ids: db.dialect.toJson([...new Set(input.auto_group_ids ?? [])]), pool_id: input.pool_id ?? null,
        channel: input.channel ?? null, approval_required: db.dialect.toBool(input.approval_required ?? false), created_by: createdBy, created_at: now.toISOString(), last_used_at: null, revoked_at: null, revoked_by: null,
      };
      await k().insertInto('access_enrollment_tokens').values(row).execute();
      return { token: view(row), secret };
    },

    async list(filter: TokenFilter): Promise<{ items: TokenView[]; next_cursor: string | null }> {
      const limit = filter.limit ?? 50;
      const now = core.now().toISOString();
      let q = k().selectFrom('access_enrollment_tokens').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1);
      if (filter.tenant_id) q = q.where('tenant_id', '=', filter.tenant_id);
      if (filter.kind) q = q.where('kind', '=', filter.kind);
      if (filter.bound_user_id) q = q.where('bound_user_id', '=', filter.bound_user_id);
      if (filter.cursor) q = q.where(afterCursor('access_enrollment_tokens', filter.cursor));
      switch (filter.status) {
        case 'revoked':
          q = q.where('revoked_at', 'is not', null);
          break;
        case 'expired':
          q = q.where('revoked_at', 'is', null).where('expires_at', '<=', now);
          break;
        case 'exhausted':
          q = q.where('revoked_at', 'is', null).where('expires_at', '>', now).where('max_uses', '>', 0).where((eb) => eb('use_count', '>=', eb.ref('max_uses')));
          break;
        case 'active':
          q = q.where('revoked_at', 'is', null).where('expires_at', '>', now).where((eb) => eb.or([eb('max_uses', '=', 0), eb('use_count', '<', eb.ref('max_uses'))]));
          break;
      }
      const page = pageOf(await q.execute(), limit);
      return { items: page.items.map(view), next_cursor: page.next_cursor };
    },

    async get(tenantId: string, id: string): Promise<TokenView> {
      return view(await rowOf(id, tenantId));
    },

    /** Revoking twice is a conflict (409): the first revoke's time and actor stay. */
    async revoke(tenantId: string, id: string, by: string): Promise<TokenView> {
      const row = await rowOf(id, tenantId);
      if (row.revoked_at) throw accessErrors.conflict('token is already revoked');
      const at = core.now().toISOString();
      await k().updateTable('access_enrollment_tokens').set({ revoked_at: at, revoked_by: by }).where('id', '=', id).where('revoked_at', 'is', null).execute();
      return view({ ...row, revoked_at: at, revoked_by: by });
    },

    /**
     * Spends one use of a token: 401 when the secret names no token, 403 when it is of the other kind, used up,
     * expired or revoked. The use is counted by one conditional UPDATE, so concurrent redemptions of a single-use
     * token cannot both pass (PostgreSQL re-checks the condition after the row lock; SQLite has one writer).
     */
    async redeem(secret: string, kind: TokenKind): Promise<Redemption> {
      const row = await k().selectFrom('access_enrollment_tokens').selectAll().where('secret_hash', '=', hashSecret(secret)).executeTakeFirst();
      if (!row) throw errors.unauthorized('enrollment token is not valid');
      if (row.kind !== kind) {
        throw errors.forbidden(kind === 'device' ? 'this is a gateway token: gateways enroll at POST /v1/gateway/enroll' : 'this is a device token, not a gateway token');
      }
      const now = core.now().toISOString();
      const spent = await k()
        .updateTable('access_enrollment_tokens')
        .set((eb) => ({ use_count: eb('use_count', '+', 1), last_used_at: now }))
        .where('id', '=', row.id)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .where((eb) => eb.or([eb('max_uses', '=', 0), eb('use_count', '<', eb.ref('max_uses'))]))
        .executeTakeFirst();
      if (Number(spent.numUpdatedRows) === 0) throw refusal(await rowOf(row.id));
      return {
        token_id: row.id, tenant_id: row.tenant_id, kind: row.kind, bound_user_id: row.bound_user_id, bound_email: row.bound_email,
        auto_group_ids: groupsOf(row), pool_id: row.pool_id, channel: row.channel, approval_required: db.dialect.fromBool(row.approval_required),
      };
    },

    /**
     * Ends every token of the tenant still usable (created before `before` when given): expires_at becomes now.
     * Answers the ids; with dryRun only finds them (the expire_tokens workflow).
     */
    async expireLive(tenantId: string, before: string | null, dryRun: boolean): Promise<string[]> {
      const now = core.now().toISOString();
      let q = k().selectFrom('access_enrollment_tokens').select('id').where('tenant_id', '=', tenantId).where('revoked_at', 'is', null).where('expires_at', '>', now);
      if (before) q = q.where('created_at', '<', before);
      const ids = (await q.execute()).map((t) => t.id);
      if (!dryRun && ids.length) await k().updateTable('access_enrollment_tokens').set({ expires_at: now }).where('tenant_id', '=', tenantId).where('id', 'in', ids).execute();
      return ids;
    },
  };
}

export type TokenService = ReturnType<typeof createTokenService>;
