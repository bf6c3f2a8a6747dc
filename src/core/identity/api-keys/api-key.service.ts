import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { errors } from '../../errors.js';
import type { Principal } from '../../principal.js';
import type { IdentityDeps } from '../index.js';
import type { ApiKeyRow } from '../identity.tables.js';
import { IDENTITY_CHANGED, type ApiKeyPrefix, type ApiKeyService, type ApiKeyView, type IdentityChange, type PermissionRegistry, type RbacService } from '../identity.types.js';
import { mapPage } from '../../db/paginate.js';
import { isUuid } from '../../db/ids.js';
import { createApiKeyStore } from './api-key.store.js';
import { createCredentialCache, createUsageThrottle } from '../credential-cache.js';
import { coversPattern, intersectGrants } from './scope.js';

const SECRET_PREFIXES: readonly ApiKeyPrefix[] = ['rk_', 'owk_'];
/** Shown in lists so operators can tell keys apart: 'rk_' and 7 characters of the random part. */
const SHOWN_CHARS = 10;

/** A high-entropy secret needs no slow hash: sha256 makes the lookup one indexed query. */
const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('hex');

/**
 * API keys: `Authorization: ApiKey <secret>`. A key's scope is fixed at creation within its creator's
 * permissions, and at every use it is intersected again with what the creator may do now, so a key never
 * outgrows the user who made it.
 */
export function createApiKeyService(deps: IdentityDeps & { rbac: RbacService }): ApiKeyService {
  const store = createApiKeyStore(deps.db);
  const cache = createCredentialCache(deps.now, 30_000);
  const usage = createUsageThrottle(deps.now);
  const now = () => deps.now().toISOString();
  const d = deps.db.dialect;

  // Any identity change may narrow a creator's permissions or end a key: forget every resolved key.
  deps.events.subscribe(IDENTITY_CHANGED, () => cache.clear());

  const view = (row: ApiKeyRow): ApiKeyView => ({
    id: row.id,
    name: row.name,
    masked_key: `${row.prefix}…`,
    permissions: d.fromJson<string[]>(row.permissions),
    created_by: row.created_by,
    created_at: row.created_at,
    expires_at: row.expires_at,
    last_used_at: row.last_used_at,
    revoked_at: row.revoked_at,
    role_id: row.role_id ?? null,
  });

  async function resolve(hash: string): Promise<Principal | null> {
    const stamp = cache.stamp();
    const row = await store.bySecretHash(hash);
    if (!row || row.revoked_at || (row.expires_at && row.expires_at <= now())) return null;
    if ((await store.creatorStatus(row.created_by)) !== 'active') return null;
    const creator = await deps.rbac.userAccess(row.created_by);
    const principal: Principal = {
      type: 'api_key',
      id: row.id,
      name: row.name,
      via: 'api_key',
      permissions: intersectGrants(d.fromJson<string[]>(row.permissions), creator.permissions),
      roles: [],
      expiresAt: row.expires_at ? Math.floor(Date.parse(row.expires_at) / 1000) : null,
    };
    cache.set(hash, principal, stamp);
    if (usage.due(row.id, row.last_used_at)) await store.touch(row.id, now());
    return principal;
  }

  return {
    async create(creator, input) {
      if (creator.type !== 'user') throw errors.forbidden('only a user can create an API key');
      const name = validName(input.name);
      const permissions = validScope(deps.rbac.registry, creator, input.permissions);
      const expiresAt = validExpiry(input.expires_at, deps.now());
      const secret = (input.prefix ?? 'rk_') + randomBytes(32).toString('base64url');
      const row: ApiKeyRow = {
        id: randomUUID(),
        name,
        prefix: secret.slice(0, SHOWN_CHARS),
        secret_hash: hashSecret(secret),
        permissions: d.toJson(permissions),
        created_by: creator.id,
        created_at: now(),
        expires_at: expiresAt,
        last_used_at: null,
        revoked_at: null,
        role_id: input.role_id ?? null,
      };
      await store.insert(row);
      return { key: view(row), secret };
    },

    list: async (createdBy) => (await store.list(createdBy)).map(view),

    listPage: async (page, createdBy, scope) => mapPage(await store.listPage(page, createdBy, scope), view),

    async revoke(id) {
      const row = isUuid(id) ? await store.get(id) : undefined;
      if (!row) throw errors.notFound(`API key ${id} not found`);
      if (!row.revoked_at) {
        await store.revoke(id, now());
        await deps.events.publish<IdentityChange>(IDENTITY_CHANGED, { api_key_id: id });
      }
      return view((await store.get(id))!);
    },

    async authenticate(secret) {
      if (!SECRET_PREFIXES.some((prefix) => secret.startsWith(prefix))) return null;
      const hash = hashSecret(secret);
      const cached = cache.get(hash);
      if (!cached) return resolve(hash);
      if (usage.due(cached.id)) await store.touch(cached.id, now());
      return cached;
    },
  };
}

function validName(name: string): string {
  const trimmed = typeof name === 'string' ? name.trim() : '';
  if (trimmed.length < 1 || trimmed.length > 100) throw errors.validation('name must be 1-100 characters');
  return trimmed;
}

/**
 * Each permission registered (or a wildcard over registered ones), and every one within the creator's own
 * permissions: the first that is not is named in the 403.
 */
function validScope(registry: PermissionRegistry, creator: Principal, permissions: string[]): string[] {
  if (!Array.isArray(permissions) || permissions.length === 0) throw errors.validation('permissions must name at least one permission');
  const grants = registry.validGrants(permissions);
  const exceeding = grants.find((p) => !coversPattern(creator.permissions, p));
  if (exceeding) throw errors.forbidden(`permission ${exceeding} exceeds your own permissions`, { details: { permission: exceeding } });
  return grants;
}

function validExpiry(expiresAt: string | null | undefined, now: Date): string | null {
  if (expiresAt == null) return null;
  const at = Date.parse(expiresAt);
  if (Number.isNaN(at)) throw errors.validation('expires_at must be an ISO 8601 timestamp');
  if (at <= now.getTime()) throw errors.validation('expires_at must be in the future');
  return new Date(at).toISOString();
}
