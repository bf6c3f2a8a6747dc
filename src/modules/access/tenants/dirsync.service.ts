import { randomUUID } from 'node:crypto';
import type { Core } from '../../../core/index.js';
import { RampartError } from '../../../core/errors.js';
import type { AccessHooks } from '../access.types.js';
import { accessErrors } from '../common/access-errors.js';
import { identityTenant } from '../common/tenant-scope.js';
import type { AccessDirsyncRunRow } from './tenants.tables.js';

export const DIRSYNC_SOURCES = ['scim', 'ldap', 'keycloak', 'custom'] as const;
export type DirsyncSource = (typeof DIRSYNC_SOURCES)[number];

export interface DirectoryUser {
  external_id: string;
  email?: string | null;
  username?: string | null;
  name?: string | null;
  /** false: the directory has disabled them (suspended here). Default true. */
  active?: boolean;
}
export interface DirectoryGroup {
  external_id: string;
  name: string;
  /** external_ids of users in this snapshot. */
  member_ids?: string[];
}
export interface Snapshot {
  source: DirsyncSource;
  /** A full snapshot is the whole directory: users it no longer lists are suspended and their devices revoked. */
  full: boolean;
  users: DirectoryUser[];
  groups?: DirectoryGroup[];
}

export interface SyncCounts {
  created: number;
  updated: number;
  suspended: number;
  reactivated: number;
  unchanged: number;
  devices_revoked: number;
  groups_created: number;
  groups_updated: number;
}

export type RunView = Omit<AccessDirsyncRunRow, 'counts' | 'errors' | 'full_sync'> & { full: boolean; counts: SyncCounts; errors: string[] };

const zero = (): SyncCounts => ({ created: 0, updated: 0, suspended: 0, reactivated: 0, unchanged: 0, devices_revoked: 0, groups_created: 0, groups_updated: 0 });
const USERNAME = /^[a-z0-9._@-]{1,64}$/;

/**
 * Directory sync: a snapshot of users and groups from a directory (SCIM, LDAP, Keycloak, anything) becomes identity
 * users and groups, each linked to its directory id per tenant and source. A user the directory disables is
 * suspended; a full snapshot also suspends every linked user it no longer lists. A suspended user's devices are
 * revoked (the enrollment part's hook), so their access ends at the gateways at once. Partial snapshots only upsert.
 * A tenant's snapshot reaches its own users and groups alone: it creates them in the tenant, links an existing user
 * by email only among the tenant's, and never suspends or edits a user or group that is another tenant's now.
 */
export function createDirsyncService(core: Core, hooks: AccessHooks) {
  const { db } = core;
  const k = () => db.kysely;
  const users = core.identity.users;

  function runView(row: AccessDirsyncRunRow): RunView {
    const { counts, errors, full_sync, ...rest } = row;
    return { ...rest, full: db.dialect.fromBool(full_sync), counts: db.dialect.fromJson<SyncCounts>(counts), errors: db.dialect.fromJson<string[]>(errors) };
  }

  async function link(tenantId: string, source: string, kind: 'user' | 'group', externalId: string): Promise<string | undefined> {
    return (await k().selectFrom('access_dirsync_links').select('local_id').where('tenant_id', '=', tenantId).where('source', '=', source).where('kind', '=', kind).where('external_id', '=', externalId).executeTakeFirst())?.local_id;
  }

  async function setLink(tenantId: string, source: string, kind: 'user' | 'group', externalId: string, localId: string) {
    const at = core.now().toISOString();
    await k().deleteFrom('access_dirsync_links').where('tenant_id', '=', tenantId).where('source', '=', source).where('kind', '=', kind).where('external_id', '=', externalId).execute();
    await k().insertInto('access_dirsync_links').values({ tenant_id: tenantId, source, kind, external_id: externalId, local_id: localId, updated_at: at }).execute();
  }

  /** A linked user or group counts only while it is still the tenant's (an administrator may have moved it). */
  async function ownUser(tenant: string | null, id: string | undefined) {
    if (!id) return undefined;
    const user = await users.get(id).catch(() => undefined);
    return user && (await users.tenantOf(id)) === tenant ? user : undefined;
  }

  async function ownGroup(tenant: string | null, id: string | undefined) {
    if (!id) return undefined;
    const group = await core.identity.groups.get(id).catch(() => undefined);
    return group && (await core.identity.groups.tenantOf(id)) === tenant ? group : undefined;
  }

  /** Group names are unique across the install: a name another group holds (another tenant's, say) gets a suffix here. */
  async function freeGroupName(wanted: string, ownId?: string): Promise<string> {
    for (let i = 0; ; i++) {
      const name = i === 0 ? wanted : `${wanted.slice(0, 120)}-${i}`;
      const taken = await k().selectFrom('groups').select('id').where('name', '=', name).executeTakeFirst();
      if (!taken || taken.id === ownId) return name;
    }
  }

  async function freeUsername(wanted: string): Promise<string> {
    const base = wanted.trim().toLowerCase().replace(/[^a-z0-9._@-]/g, '-').slice(0, 56) || 'user';
    for (let i = 0; ; i++) {
      const name = i === 0 ? base : `${base}-${i}`;
      if (!(await users.findRowByUsername(name))) return name;
    }
  }

  function validate(s: Snapshot) {
    const seen = new Set<string>();
    for (const [i, u] of s.users.entries()) {
      if (seen.has(u.external_id)) throw accessErrors.invalid(`users[${i}].external_id ${u.external_id} is listed twice`);
      seen.add(u.external_id);
      if (!u.email && !u.username) throw accessErrors.invalid(`users[${i}] needs email or username`);
      if (u.username && !USERNAME.test(u.username.toLowerCase())) throw accessErrors.invalid(`users[${i}].username must be 1-64 of a-z, 0-9, ".", "_", "@" and "-"`);
    }
    const groups = new Set<string>();
    for (const [i, g] of (s.groups ?? []).entries()) {
      if (groups.has(g.external_id)) throw accessErrors.invalid(`groups[${i}].external_id ${g.external_id} is listed twice`);
      groups.add(g.external_id);
      for (const m of g.member_ids ?? []) if (!seen.has(m)) throw accessErrors.invalid(`groups[${i}].member_ids names ${m}, a user not in this snapshot`);
    }
  }

  async function suspend(userId: string, counts: SyncCounts, why: string) {
    await users.suspend(userId);
    counts.suspended++;
    counts.devices_revoked += await hooks.revokeUserDevices(userId, why);
  }

  /** Applies a snapshot in the caller's transaction; the run row records what it did. */
  async function apply(tenantId: string, s: Snapshot, trigger: string): Promise<RunView> {
    validate(s);
    const counts = zero();
    const started = core.now().toISOString();
    const localOf = new Map<string, string>();
    const tenant = identityTenant(tenantId);
    for (const u of s.users) {
      const active = u.active ?? true;
      let id = await link(tenantId, s.source, 'user', u.external_id);
      let user = await ownUser(tenant, id);
      if (!user && u.email) {
        user = await users.findByEmail(u.email, tenant);
        if (user) await setLink(tenantId, s.source, 'user', u.external_id, user.id);
      }
      if (!user) {
        user = await users.create({ username: await freeUsername(u.username ?? u.email!), email: u.email ?? null, display_name: u.name ?? null, roles: [], tenant_id: tenant });
        await setLink(tenantId, s.source, 'user', u.external_id, user.id);
        counts.created++;
        if (!active) await suspend(user.id, counts, 'disabled in the directory');
        localOf.set(u.external_id, user.id);
        continue;
      }
      id = user.id;
      localOf.set(u.external_id, id);
      const patch: { email?: string | null; display_name?: string | null } = {};
      if (u.email !== undefined && (u.email ?? null) !== (user.email ?? null)) patch.email = u.email ?? null;
      if (u.name !== undefined && (u.name ?? null) !== (user.display_name ?? null)) patch.display_name = u.name ?? null;
      let changed = false;
      if (Object.keys(patch).length) {
        await users.update(id, patch);
        changed = true;
      }
      if (!active && user.status === 'active') await suspend(id, counts, 'disabled in the directory');
      else if (active && user.status === 'suspended') {
        await users.reactivate(id);
        counts.reactivated++;
      } else if (changed) counts.updated++;
      else counts.unchanged++;
    }
    if (s.full) {
      const listed = new Set(s.users.map((u) => u.external_id));
      const linked = await k().selectFrom('access_dirsync_links').select(['external_id', 'local_id']).where('tenant_id', '=', tenantId).where('source', '=', s.source).where('kind', '=', 'user').execute();
      for (const l of linked) {
        if (listed.has(l.external_id)) continue;
        const user = await ownUser(tenant, l.local_id);
        if (user?.status === 'active') await suspend(user.id, counts, 'no longer in the directory');
      }
    }
    for (const g of s.groups ?? []) {
      const members = (g.member_ids ?? []).map((m) => localOf.get(m)!);
      const id = await link(tenantId, s.source, 'group', g.external_id);
      const existing = await ownGroup(tenant, id);
      if (existing) {
        const name = await freeGroupName(g.name, existing.id);
        const same = existing.name === name && [...(existing.member_ids ?? [])].sort().join() === [...members].sort().join();
        if (!same) {
          await core.identity.groups.update(existing.id, { name, member_ids: members });
          counts.groups_updated++;
        }
      } else {
        const name = await freeGroupName(g.name);
        const created = await core.identity.groups.create({ name, description: `synced from ${s.source}`, member_ids: members, tenant_id: tenant });
        await setLink(tenantId, s.source, 'group', g.external_id, created.id);
        counts.groups_created++;
      }
    }
    const row: AccessDirsyncRunRow = {
      id: randomUUID(), tenant_id: tenantId, source: s.source, full_sync: db.dialect.toBool(s.full), trigger, started_at: started, finished_at: core.now().toISOString(),
      result: 'success', counts: db.dialect.toJson(counts), errors: db.dialect.toJson([]), created_at: started,
    };
    await k().insertInto('access_dirsync_runs').values(row).execute();
    return runView(row);
  }

  return {
    apply,
    runView,

    /** Records a run that failed before anything changed (the directory did not answer, say). */
    async failed(tenantId: string, source: DirsyncSource, full: boolean, trigger: string, err: unknown): Promise<RunView> {
      const at = core.now().toISOString();
      const message = err instanceof RampartError || err instanceof Error ? err.message : String(err);
      const row: AccessDirsyncRunRow = {
        id: randomUUID(), tenant_id: tenantId, source, full_sync: db.dialect.toBool(full), trigger, started_at: at, finished_at: at, result: 'failure',
        counts: db.dialect.toJson(zero()), errors: db.dialect.toJson([message.slice(0, 500)]), created_at: at,
      };
      await k().insertInto('access_dirsync_runs').values(row).execute();
      return runView(row);
    },

    async runs(tenantId: string, limit = 10): Promise<RunView[]> {
      return (await k().selectFrom('access_dirsync_runs').selectAll().where('tenant_id', '=', tenantId).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute()).map(runView);
    },
  };
}

export type DirsyncService = ReturnType<typeof createDirsyncService>;
