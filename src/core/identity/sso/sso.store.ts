import { mapPage, paginate, type Page, type PageRequest } from '../../db/paginate.js';
import type { Database } from '../../db/database.js';
import type { SsoProviderRow, UserIdentityRow } from '../identity.tables.js';
import type { SsoProviderView } from '../identity.types.js';
import { isUuid } from '../../db/ids.js';
import type { ProviderSettings } from './provider-config.js';

/** A provider row as the service works with it: parsed JSON and booleans, and the sealed secret (never shown). */
export interface StoredProvider extends Omit<SsoProviderView, 'client_secret_configured'> {
  sealed_client_secret: string | null;
}

/** sso_providers and user_identities. */
export function createSsoStore(db: Database) {
  const d = db.dialect;
  const bool = d.toBool;

  const toStored = (r: SsoProviderRow): StoredProvider => ({
    id: r.id,
    name: r.name,
    kind: r.kind as StoredProvider['kind'],
    enabled: d.fromBool(r.enabled),
    is_default: d.fromBool(r.is_default),
    issuer_url: r.issuer_url,
    authorization_url: r.authorization_url,
    token_url: r.token_url,
    userinfo_url: r.userinfo_url,
    client_id: r.client_id,
    sealed_client_secret: r.client_secret,
    scopes: d.fromJson(r.scopes),
    pkce_required: d.fromBool(r.pkce_required),
    subject_claim: r.subject_claim,
    email_claim: r.email_claim,
    groups_claim: r.groups_claim,
    default_role: r.default_role,
    role_mappings: d.fromJson(r.role_mappings),
    allowed_email_domains: d.fromJson(r.allowed_email_domains),
    session_ttl_s: r.session_ttl_s,
    display_order: Number(r.display_order ?? 0),
    created_at: r.created_at,
    updated_at: r.updated_at,
  });

  const columns = (s: ProviderSettings) => ({
    ...s,
    enabled: bool(s.enabled),
    is_default: bool(s.is_default),
    pkce_required: bool(s.pkce_required),
    scopes: d.toJson(s.scopes),
    role_mappings: d.toJson(s.role_mappings),
    allowed_email_domains: d.toJson(s.allowed_email_domains),
  });

  return {
    async list(): Promise<StoredProvider[]> {
      const rows = await db.kysely.selectFrom('sso_providers').selectAll().orderBy('name').execute();
      return rows.map(toStored);
    },
    async listPage(page: PageRequest, filter: { enabledOnly?: boolean } = {}): Promise<Page<StoredProvider>> {
      let base = db.kysely.selectFrom('sso_providers');
      if (filter.enabledOnly) base = base.where('enabled', '=', bool(true));
      return mapPage(await paginate(base.selectAll().orderBy('name').orderBy('id'), page), toStored);
    },
    async get(id: string): Promise<StoredProvider | undefined> {
      if (!isUuid(id)) return undefined;
      const row = await db.kysely.selectFrom('sso_providers').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toStored(row);
    },
    async findByName(name: string): Promise<StoredProvider | undefined> {
      const row = await db.kysely.selectFrom('sso_providers').selectAll().where('name', '=', name).executeTakeFirst();
      return row && toStored(row);
    },
    async insert(id: string, s: ProviderSettings, sealedSecret: string | null, at: string): Promise<void> {
      await db.kysely
        .insertInto('sso_providers')
        .values({ id, ...columns(s), client_secret: sealedSecret, created_at: at, updated_at: at })
        .execute();
    },
    /** sealedSecret undefined keeps the stored secret. */
    async update(id: string, s: ProviderSettings, sealedSecret: string | null | undefined, at: string): Promise<void> {
      await db.kysely
        .updateTable('sso_providers')
        .set({ ...columns(s), ...(sealedSecret !== undefined ? { client_secret: sealedSecret } : {}), updated_at: at })
        .where('id', '=', id)
        .execute();
    },
    async delete(id: string): Promise<boolean> {
      if (!isUuid(id)) return false;
      const result = await db.kysely.deleteFrom('sso_providers').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
    /** At most one provider is the default: setting one clears the others. */
    async clearDefaultExcept(id: string, at: string): Promise<void> {
      await db.kysely
        .updateTable('sso_providers')
        .set({ is_default: bool(false), updated_at: at })
        .where('id', '!=', id)
        .where('is_default', '=', bool(true))
        .execute();
    },

    async findIdentity(providerId: string, subject: string): Promise<UserIdentityRow | undefined> {
      return db.kysely
        .selectFrom('user_identities')
        .selectAll()
        .where('provider_id', '=', providerId)
        .where('subject', '=', subject)
        .executeTakeFirst();
    },
    async linkIdentity(row: UserIdentityRow): Promise<void> {
      await db.kysely.insertInto('user_identities').values(row).execute();
    },
    async touchIdentity(providerId: string, subject: string, email: string | null, at: string): Promise<void> {
      await db.kysely
        .updateTable('user_identities')
        .set({ email, last_login_at: at })
        .where('provider_id', '=', providerId)
        .where('subject', '=', subject)
        .execute();
    },
  };
}

export type SsoStore = ReturnType<typeof createSsoStore>;
