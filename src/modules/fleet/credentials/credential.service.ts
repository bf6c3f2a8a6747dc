import { randomUUID } from 'node:crypto';
import type { Core } from '../../../core/index.js';
import { errors, RampartError } from '../../../core/errors.js';
import { isUuid } from '../../../core/db/ids.js';
import { sealContext } from '../../../core/secrets/sealed-columns.js';
import { fleetSealedColumns } from '../fleet.sealed.js';
import type { AuthMethod, CredentialScope, FleetCredentialRow } from '../hosts/hosts.tables.js';
import type { HostService } from '../hosts/host.service.js';
import type { SshSecret } from '../ssh/ssh.types.js';
import { toCredentialView, type CredentialView } from './credential.view.js';
import { sshKeyInfo, type SshKeyInfo } from './ssh-key-info.js';

const PASSWORD = sealContext(fleetSealedColumns.credentialPassword);
const KEY = sealContext(fleetSealedColumns.credentialPrivateKey);
const PASSPHRASE = sealContext(fleetSealedColumns.credentialPassphrase);

export interface CredentialInput {
  scope: CredentialScope;
  scope_id?: string | null;
  name: string;
  description?: string | null;
  username: string;
  auth_method: AuthMethod;
  password?: string;
  private_key?: string;
  private_key_passphrase?: string;
  is_default?: boolean;
}

export type CredentialPatch = Partial<Omit<CredentialInput, 'scope' | 'scope_id'>>;

export interface CloneInput {
  scope: CredentialScope;
  scope_id?: string | null;
  name?: string;
  is_default?: boolean;
}

export const credentialNotFound = (id: string) =>
  new RampartError({ code: 'credentials.not_found', status: 404, message: `credential ${id} not found` });
const multipleDefaults = () =>
  new RampartError({ code: 'credentials.multiple_system_defaults', status: 409, message: 'another active system credential is already the default' });
const invalidScope = (message: string) => new RampartError({ code: 'credentials.invalid_scope', status: 400, message, details: { field: 'scope_id' } });
const missingSecret = (field: string, method: AuthMethod) =>
  new RampartError({ code: 'credentials.missing_secret', status: 400, message: `${field} is required for auth_method ${method}`, details: { field } });
const hostNotFound = () => new RampartError({ code: 'credentials.host_not_found', status: 400, message: 'scope_id does not match an active host', details: { field: 'scope_id' } });
const duplicateName = (name: string) =>
  new RampartError({ code: 'credentials.duplicate', status: 409, message: `an active credential named ${name} already exists in this scope` });

const usesKey = (m: AuthMethod) => m === 'ssh_key' || m === 'both';
const usesPassword = (m: AuthMethod) => m === 'password' || m === 'both';

/**
 * SSH credentials for one host or the whole fleet. Secrets are sealed on the way in and opened only by
 * resolveSecret (for SSH work); deleting deactivates, so scans that used a credential keep their history.
 */
export function createCredentialService(core: Pick<Core, 'db' | 'now' | 'secrets'>, hosts: HostService) {
  const { db } = core;
  const view = (row: FleetCredentialRow) => toCredentialView(row, db.dialect.fromBool);
  const active = () => db.kysely.selectFrom('fleet_credentials').selectAll().where('is_active', '=', db.dialect.toBool(true));
  const seal = (value: string | undefined, context: string) => (value ? core.secrets.seal(value, context) : null);

  async function row(id: string): Promise<FleetCredentialRow> {
    if (!isUuid(id)) throw credentialNotFound(id);
    const found = await active().where('id', '=', id).executeTakeFirst();
    if (!found) throw credentialNotFound(id);
    return found;
  }

  async function checkScope(scope: CredentialScope, scopeId: string | null | undefined): Promise<string | null> {
    if (scope === 'system') {
      if (scopeId) throw invalidScope('scope_id must be left out for scope system');
      return null;
    }
    if (!scopeId) throw invalidScope('scope_id (the host id) is required for scope host');
    await hosts.row(scopeId).catch(() => {
      throw hostNotFound();
    });
    return scopeId;
  }

  async function assertNoOtherDefault(exceptId?: string): Promise<void> {
    let q = active().select('id').where('scope', '=', 'system').where('is_default', '=', db.dialect.toBool(true));
    if (exceptId) q = q.where('id', '!=', exceptId);
    if (await q.executeTakeFirst()) throw multipleDefaults();
  }

  async function assertNameFree(scope: CredentialScope, scopeId: string | null, name: string, exceptId?: string): Promise<void> {
    let q = active().select('id').where('scope', '=', scope).where('name', '=', name);
    q = scopeId ? q.where('scope_id', '=', scopeId) : q.where('scope_id', 'is', null);
    if (exceptId) q = q.where('id', '!=', exceptId);
    if (await q.executeTakeFirst()) throw duplicateName(name);
  }

  async function insert(values: FleetCredentialRow): Promise<CredentialView> {
    try {
      await db.kysely.insertInto('fleet_credentials').values(values).execute();
    } catch (err) {
      // Two writers raced past the checks: the partial unique indexes decide.
      if (db.dialect.isUniqueViolation(err)) throw values.is_default && values.scope === 'system' ? multipleDefaults() : duplicateName(values.name);
      throw err;
    }
    return view(values);
  }

  function keyInfo(privateKey: string | undefined, passphrase: string | undefined): SshKeyInfo | null {
    return privateKey ? sshKeyInfo(privateKey, passphrase || undefined) : null;
  }

  return {
    list: async (filter: { scope?: CredentialScope; scope_id?: string } = {}): Promise<CredentialView[]> => {
      let q = active();
      if (filter.scope) q = q.where('scope', '=', filter.scope);
      if (filter.scope_id) q = q.where('scope_id', '=', filter.scope_id);
      return (await q.orderBy('scope', 'desc').orderBy('name').orderBy('id').execute()).map(view);
    },
    get: async (id: string): Promise<CredentialView> => view(await row(id)),

    async create(input: CredentialInput, createdBy: string | null): Promise<CredentialView> {
      const scopeId = await checkScope(input.scope, input.scope_id);
      if (usesKey(input.auth_method) && !input.private_key) throw missingSecret('private_key', input.auth_method);
      if (usesPassword(input.auth_method) && !input.password) throw missingSecret('password', input.auth_method);
      const key = usesKey(input.auth_method) ? keyInfo(input.private_key, input.private_key_passphrase) : null;
      const isDefault = input.scope === 'system' && input.is_default === true;
      if (isDefault) await assertNoOtherDefault();
      await assertNameFree(input.scope, scopeId, input.name);
      const now = core.now().toISOString();
      return insert({
        id: randomUUID(),
        scope: input.scope,
        scope_id: scopeId,
        name: input.name,
        description: input.description ?? null,
        username: input.username,
        auth_method: input.auth_method,
        password_sealed: usesPassword(input.auth_method) ? seal(input.password, PASSWORD) : null,
        private_key_sealed: key ? seal(input.private_key, KEY) : null,
        private_key_passphrase_sealed: key ? seal(input.private_key_passphrase, PASSPHRASE) : null,
        ssh_key_fingerprint: key?.fingerprint ?? null,
        ssh_key_type: key?.type ?? null,
        ssh_key_bits: key?.bits ?? null,
        ssh_key_comment: key?.comment ?? null,
        is_default: db.dialect.toBool(isDefault),
        is_active: db.dialect.toBool(true),
        created_by: createdBy,
        created_at: now,
        updated_at: now,
      });
    },

    /**
     * Changes the fields given. A new secret replaces the stored one; secrets the resulting method no longer uses
     * are dropped; making a system credential the default demotes the previous default.
     */
    async update(id: string, patch: CredentialPatch): Promise<{ credential: CredentialView; secretRotated: boolean }> {
      const current = await row(id);
      const method = patch.auth_method ?? current.auth_method;
      let passwordSealed = patch.password ? seal(patch.password, PASSWORD) : current.password_sealed;
      let keySealed = current.private_key_sealed;
      let passphraseSealed = current.private_key_passphrase_sealed;
      let key: SshKeyInfo | null | undefined;
      if (patch.private_key || patch.private_key_passphrase !== undefined) {
        const privateKey = patch.private_key ?? (keySealed ? core.secrets.openString(keySealed, KEY) : undefined);
        if (!privateKey) throw errors.validation('private_key is required to set a passphrase', { details: { field: 'private_key' } });
        const passphrase = patch.private_key_passphrase ?? (patch.private_key ? undefined : passphraseSealed ? core.secrets.openString(passphraseSealed, PASSPHRASE) : undefined);
        key = keyInfo(privateKey, passphrase);
        keySealed = seal(privateKey, KEY);
        passphraseSealed = seal(passphrase, PASSPHRASE);
      }
      if (!usesPassword(method)) passwordSealed = null;
      if (!usesKey(method)) [keySealed, passphraseSealed, key] = [null, null, null];
      if (usesKey(method) && !keySealed) throw missingSecret('private_key', method);
      if (usesPassword(method) && !passwordSealed) throw missingSecret('password', method);
      if (patch.name !== undefined && patch.name !== current.name) await assertNameFree(current.scope, current.scope_id, patch.name, id);

      const isDefault = current.scope === 'system' && (patch.is_default ?? db.dialect.fromBool(current.is_default));
      const now = core.now().toISOString();
      if (isDefault) {
        await db.kysely
          .updateTable('fleet_credentials')
          .set({ is_default: db.dialect.toBool(false), updated_at: now })
          .where('scope', '=', 'system')
          .where('is_default', '=', db.dialect.toBool(true))
          .where('id', '!=', id)
          .execute();
      }
      const keyColumns =
        key === undefined
          ? {}
          : { ssh_key_fingerprint: key?.fingerprint ?? null, ssh_key_type: key?.type ?? null, ssh_key_bits: key?.bits ?? null, ssh_key_comment: key?.comment ?? null };
      await db.kysely
        .updateTable('fleet_credentials')
        .set({
          ...(patch.name !== undefined ? { name: patch.name } : {}),
          ...(patch.description !== undefined ? { description: patch.description } : {}),
          ...(patch.username !== undefined ? { username: patch.username } : {}),
          auth_method: method,
          password_sealed: passwordSealed,
          private_key_sealed: keySealed,
          private_key_passphrase_sealed: passphraseSealed,
          ...keyColumns,
          is_default: db.dialect.toBool(isDefault),
          updated_at: now,
        })
        .where('id', '=', id)
        .execute();
      const secretRotated = Boolean(patch.password || patch.private_key || patch.private_key_passphrase);
      return { credential: view(await row(id)), secretRotated };
    },

    /** Deactivates the credential (it stops resolving and frees its name and default slot). */
    async remove(id: string): Promise<CredentialView> {
      const current = await row(id);
      await db.kysely
        .updateTable('fleet_credentials')
        .set({ is_active: db.dialect.toBool(false), is_default: db.dialect.toBool(false), updated_at: core.now().toISOString() })
        .where('id', '=', id)
        .execute();
      return view(current);
    },

    /** A copy in another scope; the sealed secrets are copied as they are, never opened. */
    async clone(id: string, input: CloneInput, createdBy: string | null): Promise<CredentialView> {
      const source = await row(id);
      const scopeId = await checkScope(input.scope, input.scope_id);
      const name = input.name ?? `${source.name} (clone)`;
      const isDefault = input.scope === 'system' && input.is_default === true;
      if (isDefault) await assertNoOtherDefault();
      await assertNameFree(input.scope, scopeId, name);
      const now = core.now().toISOString();
      return insert({
        ...source,
        id: randomUUID(),
        scope: input.scope,
        scope_id: scopeId,
        name,
        is_default: db.dialect.toBool(isDefault),
        is_active: db.dialect.toBool(true),
        created_by: createdBy,
        created_at: now,
        updated_at: now,
      });
    },

    /** The credential SSH work uses for a host: its newest host-scope one, else the active system default. */
    async resolve(hostId: string): Promise<{ credential: CredentialView; source: CredentialScope } | null> {
      await hosts.row(hostId);
      const found = await effective(hostId);
      return found ? { credential: view(found), source: found.scope } : null;
    },

    /** The resolved credential's secrets, opened for one connection; null when the host has none. */
    async resolveSecret(hostId: string): Promise<SshSecret | null> {
      const found = await effective(hostId);
      if (!found) return null;
      const open = (value: string | null, context: string) => (value ? core.secrets.openString(value, context) : undefined);
      return {
        username: found.username,
        authMethod: found.auth_method,
        privateKey: open(found.private_key_sealed, KEY),
        passphrase: open(found.private_key_passphrase_sealed, PASSPHRASE),
        password: open(found.password_sealed, PASSWORD),
      };
    },
  };

  async function effective(hostId: string): Promise<FleetCredentialRow | undefined> {
    if (!isUuid(hostId)) return undefined;
    const own = await active().where('scope', '=', 'host').where('scope_id', '=', hostId).orderBy('created_at', 'desc').orderBy('id', 'desc').executeTakeFirst();
    return own ?? (await active().where('scope', '=', 'system').where('is_default', '=', db.dialect.toBool(true)).executeTakeFirst());
  }
}

export type CredentialService = ReturnType<typeof createCredentialService>;
