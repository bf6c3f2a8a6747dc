import { randomUUID, X509Certificate } from 'node:crypto';
import type { Profile } from '@node-saml/node-saml';
import { lazyRequire } from '../../../core/lazy-require.js';
import type { Core } from '../../../core/index.js';
import { errors } from '../../../core/errors.js';
import { accessErrors } from '../common/access-errors.js';
import { identityTenant } from '../common/tenant-scope.js';
import type { AccessSamlProviderRow } from './enrollment.tables.js';

/** node-saml and its XML stack, loaded on the first SAML response rather than at start-up (lazy-require.ts). */
const nodeSaml = lazyRequire<typeof import('@node-saml/node-saml')>('@node-saml/node-saml');

/** A SAML provider as the admin API shows and takes it (its certificates are public: nothing is write-only). */
export interface SamlProviderView {
  id: string;
  type: 'saml';
  name: string;
  entity_id: string;
  sso_url: string | null;
  idp_certs: string[];
  sp_entity_id: string;
  acs_url: string;
  email_attribute: string;
  allowed_domains: string[];
  enabled: boolean;
  created_at: string;
  updated_at: string;
}

export type SamlProviderInput = Partial<Omit<SamlProviderView, 'id' | 'type' | 'created_at' | 'updated_at'>> & { id?: string };

/** Assertions older than this are refused even inside their own validity window. */
const MAX_ASSERTION_AGE_MS = 10 * 60_000;
const CLOCK_SKEW_MS = 60_000;

/**
 * SAML identity providers for device enrollment, and the verification of their responses with node-saml: signed
 * assertions only (by one of the IdP's certificates), the IdP's issuer, this service provider's audience, within
 * their validity window, each assertion id accepted once.
 */
export function createSamlProviderService(core: Core) {
  const { db } = core;
  const k = () => db.kysely;

  function view(row: AccessSamlProviderRow): SamlProviderView {
    return {
      id: row.id, type: 'saml', name: row.name, entity_id: row.entity_id, sso_url: row.sso_url, idp_certs: db.dialect.fromJson<string[]>(row.idp_certs),
      sp_entity_id: row.sp_entity_id, acs_url: row.acs_url, email_attribute: row.email_attribute,
      allowed_domains: db.dialect.fromJson<string[]>(row.allowed_domains), enabled: db.dialect.fromBool(row.enabled), created_at: row.created_at, updated_at: row.updated_at,
    };
  }

  async function rowOf(id: string, tenantId?: string): Promise<AccessSamlProviderRow> {
    const row = await k().selectFrom('access_saml_providers').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || (tenantId !== undefined && row.tenant_id !== tenantId)) throw accessErrors.notFound('SAML provider');
    return row;
  }

  function checkCerts(certs: string[]): void {
    for (const pem of certs) {
      try {
        new X509Certificate(pem);
      } catch {
        throw accessErrors.invalid('idp_certs must be PEM X.509 certificates');
      }
    }
  }

  /**
   * The user an assertion names: the provider's tenant's user with that email, else a new user of that tenant with no
   * roles (device access only). Another tenant's user with the same email is never the one.
   */
  async function userFor(email: string, tenantId: string): Promise<string> {
    const tenant = identityTenant(tenantId);
    const found = await core.identity.users.findByEmail(email, tenant);
    if (found) {
      if (found.status !== 'active') throw errors.forbidden(`account is ${found.status}`);
      return found.id;
    }
    const base = email.toLowerCase().replace(/[^a-z0-9._@-]/g, '-').slice(0, 56);
    const taken = await core.identity.users.findRowByUsername(base);
    const created = await core.identity.users.create({ username: taken ? `${base}-${randomUUID().slice(0, 6)}` : base, email, roles: [], tenant_id: tenant });
    return created.id;
  }

  function emailOf(p: AccessSamlProviderRow, profile: Profile): string {
    const candidates = [profile[p.email_attribute], profile.email, profile.mail, profile.nameID];
    const email = candidates.find((v): v is string => typeof v === 'string' && /^[^@\s]+@[^@\s]+$/.test(v));
    if (!email) throw errors.forbidden(`the assertion carries no email (attribute ${p.email_attribute})`);
    return email.toLowerCase();
  }

  /** Marks the assertion used; a second use of it is a replay (401). */
  async function spend(providerId: string, profile: Profile): Promise<void> {
    const assertion = (profile.getAssertion?.() as { Assertion?: { $?: { ID?: string }; Conditions?: { $?: { NotOnOrAfter?: string } }[] } })?.Assertion;
    const id = assertion?.$?.ID;
    if (!id) throw errors.unauthorized('SAML assertion has no ID');
    const until = assertion?.Conditions?.[0]?.$?.NotOnOrAfter ?? new Date(core.now().getTime() + MAX_ASSERTION_AGE_MS).toISOString();
    const now = core.now().toISOString();
    await k().deleteFrom('access_saml_assertions').where('expires_at', '<', now).execute();
    try {
      await k().insertInto('access_saml_assertions').values({ provider_id: providerId, assertion_id: id, expires_at: new Date(until).toISOString() }).execute();
    } catch (err) {
      if (db.dialect.isUniqueViolation(err)) throw errors.unauthorized('this SAML assertion has been used already');
      throw err;
    }
  }

  return {
    async list(tenantId: string): Promise<SamlProviderView[]> {
      return (await k().selectFrom('access_saml_providers').selectAll().where('tenant_id', '=', tenantId).orderBy('name').execute()).map(view);
    },

    async get(tenantId: string, id: string): Promise<SamlProviderView> {
      return view(await rowOf(id, tenantId));
    },

    /** Creates (no id) or updates (id) a provider; a name is unique per tenant (409). */
    async upsert(tenantId: string, input: SamlProviderInput): Promise<{ provider: SamlProviderView; created: boolean }> {
      const at = core.now().toISOString();
      const existing = input.id ? await rowOf(input.id, tenantId) : undefined;
      const certs = input.idp_certs ?? (existing ? db.dialect.fromJson<string[]>(existing.idp_certs) : undefined);
      if (!certs?.length) throw accessErrors.invalid('idp_certs needs at least one certificate');
      checkCerts(certs);
      const merged = {
        name: input.name ?? existing?.name, entity_id: input.entity_id ?? existing?.entity_id, sp_entity_id: input.sp_entity_id ?? existing?.sp_entity_id,
        acs_url: input.acs_url ?? existing?.acs_url,
      };
      for (const [field, value] of Object.entries(merged)) if (!value) throw accessErrors.invalid(`${field} is required`);
      const row: AccessSamlProviderRow = {
        id: existing?.id ?? randomUUID(), tenant_id: tenantId, name: merged.name!, entity_id: merged.entity_id!,
        sso_url: input.sso_url !== undefined ? input.sso_url : existing?.sso_url ?? null, idp_certs: db.dialect.toJson(certs),
        sp_entity_id: merged.sp_entity_id!, acs_url: merged.acs_url!, email_attribute: input.email_attribute ?? existing?.email_attribute ?? 'email',
        allowed_domains: db.dialect.toJson((input.allowed_domains ?? (existing ? db.dialect.fromJson<string[]>(existing.allowed_domains) : [])).map((d) => d.toLowerCase())),
        enabled: db.dialect.toBool(input.enabled ?? (existing ? db.dialect.fromBool(existing.enabled) : true)),
        created_at: existing?.created_at ?? at, updated_at: at,
      };
      const clash = await k().selectFrom('access_saml_providers').select('id').where('tenant_id', '=', row.tenant_id).where('name', '=', row.name).where('id', '<>', row.id).executeTakeFirst();
      if (clash) throw accessErrors.conflict(`a provider named ${row.name} already exists`);
      if (existing) await k().updateTable('access_saml_providers').set(row).where('id', '=', row.id).execute();
      else await k().insertInto('access_saml_providers').values(row).execute();
      return { provider: view(row), created: !existing };
    },

    async remove(tenantId: string, id: string): Promise<void> {
      await rowOf(id, tenantId);
      await k().deleteFrom('access_saml_providers').where('id', '=', id).execute();
    },

    /**
     * Verifies a base64 SAMLResponse (HTTP-POST binding) and returns the user it names: 401 when it is not a valid,
     * signed, fresh, unused response for this provider; 403 when its email's domain is not allowed.
     */
    async verify(providerId: string, samlResponse: string): Promise<{ userId: string; email: string; tenantId: string }> {
      const p = await rowOf(providerId);
      if (!db.dialect.fromBool(p.enabled)) throw errors.forbidden('this SAML provider is disabled');
      const { SAML, ValidateInResponseTo } = nodeSaml();
      const saml = new SAML({
        idpCert: db.dialect.fromJson<string[]>(p.idp_certs), issuer: p.sp_entity_id, audience: p.sp_entity_id, callbackUrl: p.acs_url,
        idpIssuer: p.entity_id, wantAssertionsSigned: true, wantAuthnResponseSigned: false, validateInResponseTo: ValidateInResponseTo.never,
        acceptedClockSkewMs: CLOCK_SKEW_MS, maxAssertionAgeMs: MAX_ASSERTION_AGE_MS,
      });
      let profile: Profile | null;
      try {
        ({ profile } = await saml.validatePostResponseAsync({ SAMLResponse: samlResponse }));
      } catch (err) {
        throw errors.unauthorized(`SAML response is not valid: ${(err as Error).message}`.slice(0, 300));
      }
      if (!profile) throw errors.unauthorized('SAML response carries no assertion');
      // node-saml checks idpIssuer on logout messages only: the signed assertion's issuer is checked here.
      if (profile.issuer !== p.entity_id) throw errors.unauthorized('SAML assertion is from another issuer than this provider');
      const email = emailOf(p, profile);
      const domains = db.dialect.fromJson<string[]>(p.allowed_domains);
      if (domains.length && !domains.includes(email.split('@')[1])) throw errors.forbidden('email domain not allowed');
      await spend(p.id, profile);
      return { userId: await userFor(email, p.tenant_id), email, tenantId: p.tenant_id };
    },
  };
}

export type SamlProviderService = ReturnType<typeof createSamlProviderService>;
