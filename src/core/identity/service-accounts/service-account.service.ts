import { randomUUID } from 'node:crypto';
import { errors } from '../../errors.js';
import type { Principal } from '../../principal.js';
import { createCredentialCache, createUsageThrottle } from '../credential-cache.js';
import type { IdentityDeps } from '../index.js';
import type { ServiceAccountRow, ServiceAccountTokenRow } from '../identity.tables.js';
import {
  IDENTITY_CHANGED,
  type IdentityChange,
  type Keyset,
  type RbacService,
  type ServiceAccountRole,
  type ServiceAccountService,
  type ServiceAccountTokenView,
  type ServiceAccountView,
} from '../identity.types.js';
import { isUuid } from '../../db/ids.js';
import { mapPage } from '../../db/paginate.js';
import { createServiceAccountStore } from './service-account.store.js';
import { tokenLifetime } from './token-ttl.js';

const ROLE_RANK: Record<ServiceAccountRole, number> = { readonly: 0, admin: 1 };
const ROLES = Object.keys(ROLE_RANK) as ServiceAccountRole[];

/** The claims that mark a JWT as a service-account token; sub is 'sa:' and the account id (names can change). */
export const SERVICE_ACCOUNT_TOKEN_TYPE = 'service_account';
export const SERVICE_ACCOUNT_AUDIENCE = 'rampart-api';

/**
 * Neuwerk's service accounts: machine identities with the role admin or readonly, and the JWTs minted for them.
 * A token never carries more than its account's role, and each use checks its row, so revoking a token or
 * disabling the account ends it at once.
 */
export function createServiceAccountService(deps: IdentityDeps & { keyset: Keyset; rbac: RbacService }): ServiceAccountService {
  const store = createServiceAccountStore(deps.db);
  const cache = createCredentialCache(deps.now, 30_000);
  const usage = createUsageThrottle(deps.now);
  const now = () => deps.now().toISOString();
  const changed = (accountId: string) => deps.events.publish<IdentityChange>(IDENTITY_CHANGED, { service_account_id: accountId });

  deps.events.subscribe(IDENTITY_CHANGED, () => cache.clear());

  const view = (row: ServiceAccountRow): ServiceAccountView => ({
    id: row.id,
    name: row.name,
    description: row.description,
    role: row.role,
    status: row.status,
    created_at: row.created_at,
    created_by: row.created_by,
  });

  const tokenView = (row: ServiceAccountTokenRow): ServiceAccountTokenView => ({
    id: row.id,
    service_account_id: row.service_account_id,
    name: row.name,
    created_at: row.created_at,
    created_by: row.created_by,
    expires_at: row.expires_at,
    revoked_at: row.revoked_at,
    last_used_at: row.last_used_at,
    kid: row.kid,
    role: row.role,
    status: row.revoked_at ? 'revoked' : row.expires_at && row.expires_at <= now() ? 'expired' : 'active',
  });

  async function account(id: string): Promise<ServiceAccountRow> {
    const row = isUuid(id) ? await store.get(id) : undefined;
    if (!row) throw errors.notFound(`service account ${id} not found`);
    return row;
  }

  async function assertNameFree(name: string, exceptId?: string): Promise<void> {
    const other = await store.findByName(name);
    if (other && other.id !== exceptId) throw errors.conflict(`service account ${name} already exists`);
  }

  /** Unique names are checked first for a clear message; the constraint settles a race. */
  async function uniquely<T>(name: string, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (err) {
      if (deps.db.dialect.isUniqueViolation(err)) throw errors.conflict(`service account ${name} already exists`);
      throw err;
    }
  }

  async function disable(row: ServiceAccountRow): Promise<void> {
    const at = now();
    await deps.db.transaction(async () => {
      await store.update(row.id, { status: 'disabled', updated_at: at });
      await store.revokeTokens(row.id, at);
    });
    await changed(row.id);
  }

  async function resolve(claims: { jti: string; sa_id: unknown }): Promise<Principal | null> {
    const stamp = cache.stamp();
    const token = isUuid(claims.jti) ? await store.token(claims.jti) : undefined;
    if (!token || token.revoked_at || token.service_account_id !== claims.sa_id) return null;
    if (token.expires_at && token.expires_at <= now()) return null;
    const owner = await store.get(token.service_account_id);
    if (!owner || owner.status !== 'active') return null;
    // An account lowered to readonly after minting lowers its admin tokens with it.
    const role = ROLE_RANK[token.role] <= ROLE_RANK[owner.role] ? token.role : owner.role;
    const principal: Principal = {
      type: 'service_account',
      id: owner.id,
      name: owner.name,
      roles: [role],
      permissions: await deps.rbac.rolePermissions([role]),
      serviceAccountId: owner.id,
      expiresAt: token.expires_at ? Math.floor(Date.parse(token.expires_at) / 1000) : null,
    };
    cache.set(claims.jti, principal, stamp);
    if (usage.due(token.id, token.last_used_at)) await store.touchToken(token.id, now());
    return principal;
  }

  return {
    list: async (page) => mapPage(await store.list(page), view),

    get: async (id) => view(await account(id)),

    async create(input, actor) {
      const name = validName(input.name);
      const role = validRole(input.role);
      await assertNameFree(name);
      const at = now();
      const row: ServiceAccountRow = {
        id: randomUUID(),
        name,
        description: input.description ?? null,
        role,
        status: 'active',
        created_by: actor.name,
        created_at: at,
        updated_at: at,
      };
      await uniquely(name, () => store.insert(row));
      return view(row);
    },

    async update(id, patch) {
      const row = await account(id);
      const name = patch.name !== undefined ? validName(patch.name) : undefined;
      if (name !== undefined && name !== row.name) await assertNameFree(name, row.id);
      if (patch.status !== undefined && patch.status !== 'active' && patch.status !== 'disabled') {
        throw errors.validation('status must be active or disabled');
      }
      const fields = {
        ...(name !== undefined ? { name } : {}),
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        ...(patch.role !== undefined ? { role: validRole(patch.role) } : {}),
        ...(patch.status === 'active' ? { status: 'active' as const } : {}),
      };
      await uniquely(name ?? row.name, () => store.update(row.id, { ...fields, updated_at: now() }));
      if (patch.status === 'disabled' && row.status !== 'disabled') await disable(row);
      else await changed(row.id);
      return view(await account(row.id));
    },

    async disable(id) {
      await disable(await account(id));
    },

    async listTokens(id, page) {
      await account(id);
      return mapPage(await store.tokens(id, page), tokenView);
    },

    async mintToken(id, input, actor) {
      const row = await account(id);
      if (row.status !== 'active') throw errors.badRequest(`service account ${row.name} is disabled`);
      const lifetime = tokenLifetime(input);
      const role = input.role === undefined ? row.role : validRole(input.role);
      if (ROLE_RANK[role] > ROLE_RANK[row.role]) {
        throw errors.forbidden(`a token cannot exceed its account's role (${row.role})`);
      }
      const tokenId = randomUUID();
      const createdAt = now();
      const signed = await deps.keyset.sign(
        { sub: `sa:${row.id}`, sa_id: row.id, roles: [role], jti: tokenId, typ: SERVICE_ACCOUNT_TOKEN_TYPE, aud: SERVICE_ACCOUNT_AUDIENCE },
        lifetime,
      );
      const token: ServiceAccountTokenRow = {
        id: tokenId,
        service_account_id: row.id,
        name: input.name ?? null,
        kid: signed.kid,
        role,
        created_by: actor.name,
        created_at: createdAt,
        expires_at: signed.expiresAt ? signed.expiresAt.toISOString() : null,
        revoked_at: null,
        last_used_at: null,
      };
      await store.insertToken(token);
      return { token: signed.token, token_meta: tokenView(token) };
    },

    async revokeToken(id, tokenId) {
      const row = await account(id);
      const token = isUuid(tokenId) ? await store.token(tokenId) : undefined;
      if (!token || token.service_account_id !== row.id) throw errors.notFound(`token ${tokenId} not found`);
      if (token.revoked_at) return;
      await store.revokeTokens(row.id, now(), token.id);
      await changed(row.id);
    },

    async principalFor(claims) {
      if (typeof claims.jti !== 'string' || typeof claims.sa_id !== 'string') return null;
      const cached = cache.get(claims.jti);
      if (!cached) return resolve({ jti: claims.jti, sa_id: claims.sa_id });
      if (cached.serviceAccountId !== claims.sa_id) return null;
      if (usage.due(claims.jti)) await store.touchToken(claims.jti, now());
      return cached;
    },
  };
}

function validName(name: string): string {
  const trimmed = typeof name === 'string' ? name.trim() : '';
  if (trimmed.length < 1 || trimmed.length > 100) throw errors.validation('name must be 1-100 characters');
  return trimmed;
}

function validRole(role: string): ServiceAccountRole {
  if (!ROLES.includes(role as ServiceAccountRole)) throw errors.validation(`role must be one of ${ROLES.join(', ')}`);
  return role as ServiceAccountRole;
}
