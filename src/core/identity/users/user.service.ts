import { randomUUID } from 'node:crypto';
import { errors, RampartError } from '../../errors.js';
import { assertNotLastAdmin } from '../../rbac/last-admin.js';
import { byPrecedence } from '../../rbac/role-order.js';
import { createRoleStore } from '../../rbac/role.store.js';
import type { IdentityDeps } from '../index.js';
import type { UserRow, UserStatus } from '../identity.tables.js';
import { IDENTITY_CHANGED, type Passwords, type RbacService, type User, type UserService } from '../identity.types.js';
import type { PasswordPolicy } from './passwords.js';
import { isUuid } from '../../db/ids.js';
import { createUserStore, type UserChanges } from './user.store.js';

export interface UserServiceDeps extends IdentityDeps {
  passwords: Passwords & PasswordPolicy;
  rbac: RbacService;
  endSessions(userId: string, reason: string, exceptSessionId?: string): Promise<number>;
}

const USERNAME = /^[a-z0-9._@-]{1,64}$/;
const EMAIL = /^[^\s@]+@[^\s@]+$/;

/** Users: accounts, their status and passwords. Roles are the rbac service's; this one shows them on the user. */
export function createUserService(deps: UserServiceDeps): UserService {
  const store = createUserStore(deps.db);
  const roles = createRoleStore(deps.db);
  const now = () => deps.now().toISOString();
  const changed = (userId: string) => deps.events.publish(IDENTITY_CHANGED, { user_id: userId });

  const view = (row: UserRow, roleNames: string[]): User => ({
    id: row.id,
    username: row.username,
    email: row.email,
    display_name: row.display_name,
    status: row.status,
    mfa_enabled: deps.db.dialect.fromBool(row.mfa_enabled),
    roles: byPrecedence(roleNames),
    last_login_at: row.last_login_at,
    created_at: row.created_at,
    updated_at: row.updated_at,
  });

  async function viewOf(row: UserRow): Promise<User> {
    return view(row, (await roles.namesByUser([row.id])).get(row.id) ?? []);
  }

  async function rowOf(id: string): Promise<UserRow> {
    const row = isUuid(id) ? await store.byId(id) : undefined;
    if (!row) throw errors.notFound(`user ${id} not found`);
    return row;
  }

  async function updatedRow(id: string, changes: UserChanges): Promise<UserRow> {
    const row = isUuid(id) ? await store.updateReturning(id, changes, now()) : undefined;
    if (!row) throw errors.notFound(`user ${id} not found`);
    return row;
  }

  /** Leaving `active` ends every session and may not strand the system without an administrator. */
  async function setStatus(row: UserRow, status: UserStatus, at = now()): Promise<void> {
    if (status === row.status) return;
    if (status !== 'active') await assertNotLastAdmin(roles, row.id);
    await store.update(row.id, { status }, at);
    if (status !== 'active') await deps.endSessions(row.id, `user ${status}`);
    await changed(row.id);
  }

  return {
    async create(input, actor) {
      const username = validUsername(input.username);
      const email = validEmail(input.email);
      if (input.password !== undefined) await deps.passwords.enforcePolicy(input.password, username);
      // Hashing is slow: done before the transaction, so no write lock is held meanwhile.
      const passwordHash = input.password !== undefined ? await deps.passwords.hash(input.password) : null;
      const at = now();
      const row: UserRow = {
        id: randomUUID(),
        username,
        email,
        display_name: input.display_name ?? null,
        status: input.status ?? 'active',
        password_hash: passwordHash,
        password_changed_at: passwordHash ? at : null,
        mfa_enabled: deps.db.dialect.toBool(false),
        totp_secret: null,
        totp_pending_secret: null,
        totp_last_step: null,
        last_login_at: null,
        must_change_password: deps.db.dialect.toBool(input.must_change_password ?? false),
        tenant_id: input.tenant_id ?? null,
        created_at: at,
        updated_at: at,
      };
      return deps.db.transaction(async () => {
        if (await store.byUsername(username)) throw usernameTaken(username);
        try {
          await store.insert(row);
        } catch (err) {
          throw deps.db.dialect.isUniqueViolation(err) ? usernameTaken(username) : err;
        }
        if (input.roles?.length) await deps.rbac.setRoles(row.id, input.roles, actor);
        return viewOf(row);
      });
    },

    get: async (id) => viewOf(await rowOf(id)),

    findRowByUsername: (username) => store.byUsername(username.toLowerCase()),

    async findByEmail(email, tenant) {
      const row = await store.byEmail(email.trim(), tenant);
      return row ? viewOf(row) : undefined;
    },

    async tenantOf(id) {
      const row = isUuid(id) ? await store.tenantOf(id) : undefined;
      if (!row) throw errors.notFound(`user ${id} not found`);
      return row.tenant_id ?? null;
    },

    async setTenant(id, tenant) {
      if (!isUuid(id) || !(await store.setTenant(id, tenant))) throw errors.notFound(`user ${id} not found`);
      await changed(id);
    },

    async list(query) {
      const { rows, total } = await store.list(query);
      const names = await roles.namesByUser(rows.map((r) => r.id));
      return { items: rows.map((r) => view(r, names.get(r.id) ?? [])), total };
    },

    async update(id, patch) {
      const changes = {
        ...(patch.email !== undefined ? { email: validEmail(patch.email) } : {}),
        ...(patch.display_name !== undefined ? { display_name: patch.display_name } : {}),
      };
      const edits = Object.keys(changes).length > 0;
      return deps.db.transaction(async () => {
        // The write answers with the row: no read before it, and none after.
        if (patch.status === undefined && edits) return viewOf(await updatedRow(id, changes));
        const row = await rowOf(id);
        const at = now();
        if (edits) await store.update(id, changes, at);
        if (patch.status !== undefined) await setStatus(row, patch.status, at);
        const touched = edits || (patch.status !== undefined && patch.status !== row.status);
        return viewOf({ ...row, ...changes, status: patch.status ?? row.status, updated_at: touched ? at : row.updated_at });
      });
    },

    async delete(id) {
      await deps.db.transaction(async () => {
        const row = await rowOf(id);
        await assertNotLastAdmin(roles, row.id);
        await store.delete(row.id); // sessions, roles, keys and memberships go with it (ON DELETE CASCADE)
        await changed(row.id);
      });
    },

    async setPassword(id, password) {
      const row = await rowOf(id);
      await deps.passwords.enforcePolicy(password, row.username);
      const hash = await deps.passwords.hash(password);
      await deps.db.transaction(async () => {
        const at = now();
        await store.update(id, { password_hash: hash, password_changed_at: at, must_change_password: deps.db.dialect.toBool(true) }, at);
        // A password set for someone is a reset: whoever knew the old one is signed out.
        await deps.endSessions(id, 'password reset');
        await changed(id);
      });
    },

    async changePassword(id, current, next, keepSessionId) {
      const row = await rowOf(id);
      const ok = row.password_hash ? await deps.passwords.verify(row.password_hash, current) : false;
      if (!ok) throw new RampartError({ code: 'invalid_current_password', status: 400, message: 'the current password is not correct' });
      await deps.passwords.enforcePolicy(next, row.username);
      if (next === current) throw errors.validation('the new password must differ from the current one');
      const hash = await deps.passwords.hash(next);
      await deps.db.transaction(async () => {
        const at = now();
        await store.update(id, { password_hash: hash, password_changed_at: at, must_change_password: deps.db.dialect.toBool(false) }, at);
        await deps.endSessions(id, 'password changed', keepSessionId);
        await changed(id);
      });
    },

    async suspend(id) {
      return deps.db.transaction(async () => {
        await setStatus(await rowOf(id), 'suspended');
        return viewOf(await rowOf(id));
      });
    },

    async reactivate(id) {
      return deps.db.transaction(async () => {
        await setStatus(await rowOf(id), 'active');
        return viewOf(await rowOf(id));
      });
    },

    recordLogin: (id) => store.recordLogin(id, now()),

    async passwordChangedAt(ids) {
      const valid = ids.filter(isUuid);
      const rows = valid.length ? await deps.db.kysely.selectFrom('users').select(['id', 'password_changed_at']).where('id', 'in', valid).execute() : [];
      return new Map(rows.map((r) => [r.id, r.password_changed_at]));
    },

    async profile(id) {
      const row = isUuid(id) ? await store.profile(id) : undefined;
      if (!row) throw errors.notFound(`user ${id} not found`);
      const { fromBool } = deps.db.dialect;
      return { email: row.email, display_name: row.display_name, mfa_enabled: fromBool(row.mfa_enabled), must_change_password: fromBool(row.must_change_password) };
    },
  };
}

function validUsername(input: string): string {
  const username = input.trim().toLowerCase();
  if (!USERNAME.test(username)) throw errors.validation('username must be 1-64 of a-z, 0-9, ".", "_", "@" and "-"');
  return username;
}

function validEmail(input: string | null | undefined): string | null {
  if (input === undefined || input === null || input.trim() === '') return null;
  const email = input.trim();
  if (email.length > 254 || !EMAIL.test(email)) throw errors.validation(`email ${email} is not a valid address`);
  return email;
}

function usernameTaken(username: string): RampartError {
  return errors.conflict(`username ${username} is already taken`);
}
