import { randomUUID } from 'node:crypto';
import { RampartError, errors } from '../../errors.js';
import { mapPage } from '../../db/paginate.js';
import type { IdentityDeps } from '../index.js';
import { sealContext } from '../../secrets/sealed-columns.js';
import { identitySealedColumns } from '../identity.sealed.js';
import type { ClientContext, RbacService, SessionService, SsoCallbackInput, SsoProviderView, SsoService, User, UserService } from '../identity.types.js';
import { createOidcFlow, type FlowProvider } from './oidc-flow.js';
import { providerSettings, type ProviderSettings } from './provider-config.js';
import { isEmailAllowed, resolveRole } from './role-mapping.js';
import { createSsoAccounts } from './sso-accounts.js';
import { SSO_STATE_TTL_S, invalidState, localPath, openState, sealState } from './sso-state.js';
import { createSsoStore, type StoredProvider } from './sso.store.js';

const SECRET_CONTEXT = sealContext(identitySealedColumns.ssoClientSecret);

/**
 * SSO providers (OIDC, Google, GitHub) and the login through them. Each login replaces the user's roles with the
 * one its provider's mapping gives now, so an IdP group change takes effect at the next login (and an account
 * mapped to nothing is refused rather than keeping old rights). Rampart's own MFA is not asked: the IdP owns that.
 */
export function createSsoService(deps: IdentityDeps & { users: UserService; rbac: RbacService; sessions: SessionService }): SsoService {
  const store = createSsoStore(deps.db);
  const flow = createOidcFlow(deps);
  const accounts = createSsoAccounts({ users: deps.users, store, now: deps.now });

  async function stored(id: string): Promise<StoredProvider> {
    const p = await store.get(id);
    if (!p) throw errors.notFound('SSO provider not found');
    return p;
  }

  async function enabled(id: string): Promise<FlowProvider> {
    const p = await stored(id);
    if (!p.enabled) throw errors.badRequest('SSO provider is disabled');
    return forFlow(p);
  }

  function forFlow({ sealed_client_secret, ...p }: StoredProvider): FlowProvider {
    return { ...p, client_secret: sealed_client_secret ? deps.secrets.openString(sealed_client_secret, SECRET_CONTEXT) : null };
  }

  async function checkRoles(s: ProviderSettings) {
    for (const role of [s.default_role, ...s.role_mappings.map((m) => m.role)]) {
      if (role === null) continue;
      try {
        await deps.rbac.getRole(role);
      } catch (err) {
        if ((err as RampartError).status === 404) throw errors.validation(`role ${role} does not exist`);
        throw err;
      }
    }
  }

  async function checkName(name: string, id?: string) {
    const other = await store.findByName(name);
    if (other && other.id !== id) throw errors.conflict(`an SSO provider named ${name} already exists`);
  }

  /** undefined keeps the stored secret, '' or null removes it. */
  const sealSecret = (secret: string | null | undefined) =>
    secret === undefined ? undefined : secret ? deps.secrets.seal(secret, SECRET_CONTEXT) : null;

  /** Opens the state, checks it matches the callback, and exchanges the code: who logged in, per the provider. */
  async function verifiedLogin(id: string, input: SsoCallbackInput) {
    const state = openState(deps.secrets, input.stateCookie, id, deps.now());
    if (state.redirect_uri !== input.redirectUri || new URL(input.callbackUrl).searchParams.get('state') !== state.state) {
      throw invalidState();
    }
    const provider = await enabled(id);
    const claims = await flow.exchange(provider, state, input.callbackUrl);
    return { state, provider, claims };
  }

  function mustBeActive(user: User) {
    if (user.status !== 'active') throw errors.forbidden(`account is ${user.status}`);
  }

  /**
   * The account a provider's claims sign in as (inside the caller's transaction): the domain allowed, a role mapped,
   * the account created or linked and active, and its role set to the mapped one.
   */
  async function admit(id: string, provider: Awaited<ReturnType<typeof enabled>>, claims: Awaited<ReturnType<typeof flow.exchange>>) {
    // The allow-list comes first: a mapping must never admit a domain the provider is closed to.
    if (!isEmailAllowed(provider.allowed_email_domains, claims)) throw errors.forbidden('email domain not allowed');
    const role = resolveRole(provider.role_mappings, provider.default_role, claims);
    if (!role) throw errors.forbidden('no role mapped for this account');
    const account = await accounts.resolve(id, claims, role);
    mustBeActive(account);
    if (account.roles.length !== 1 || account.roles[0] !== role) await deps.rbac.setRoles(account.id, [role]);
    return account;
  }

  return {
    async list() {
      return (await store.list()).map(view);
    },
    listPage: async (page, filter) => mapPage(await store.listPage(page, filter), view),
    async get(id) {
      return view(await stored(id));
    },
    async defaultProvider() {
      const usable = (await store.list()).filter((p) => p.enabled);
      // With a single enabled provider nobody needs to mark it: it is the one.
      const chosen = usable.find((p) => p.is_default) ?? (usable.length === 1 ? usable[0] : undefined);
      return chosen && view(chosen);
    },

    async create(input) {
      const settings = providerSettings(input);
      await checkRoles(settings);
      const id = randomUUID();
      const at = deps.now().toISOString();
      await deps.db.transaction(async () => {
        await checkName(settings.name);
        await store.insert(id, settings, sealSecret(input.client_secret) ?? null, at);
        if (settings.is_default) await store.clearDefaultExcept(id, at);
      });
      return view(await stored(id));
    },

    async update(id, patch) {
      const at = deps.now().toISOString();
      await deps.db.transaction(async () => {
        const settings = providerSettings(patch, settingsOf(await stored(id)));
        await checkRoles(settings);
        await checkName(settings.name, id);
        await store.update(id, settings, sealSecret(patch.client_secret), at);
        if (settings.is_default) await store.clearDefaultExcept(id, at);
      });
      return view(await stored(id));
    },

    async delete(id) {
      if (!(await store.delete(id))) throw errors.notFound('SSO provider not found');
    },

    async test(id) {
      return flow.probe(await stored(id));
    },

    async start(id, redirectUri, returnTo, options) {
      const provider = await enabled(id);
      const checks = flow.randomChecks();
      const url = await flow.authorizationUrl(provider, checks, redirectUri, options?.prompt);
      const exp = Math.floor(deps.now().getTime() / 1000) + SSO_STATE_TTL_S;
      const state_cookie = sealState(deps.secrets, { provider_id: id, ...checks, redirect_uri: redirectUri, return_to: localPath(returnTo), exp });
      return { url, state_cookie };
    },

    async callback(id, input, client: ClientContext) {
      const { state, provider, claims } = await verifiedLogin(id, input);
      return deps.db.transaction(async () => {
        const account = await admit(id, provider, claims);
        await deps.users.recordLogin(account.id);
        const pair = await deps.sessions.open(account.id, { method: 'sso', providerId: id, ttlSeconds: provider.session_ttl_s, ...client });
        return { ...pair, user: await deps.users.get(account.id), return_to: state.return_to, provider_id: id };
      });
    },

    async deviceLogin(id, input) {
      const provider = await enabled(id);
      if (provider.pkce_required && !input.code_verifier) throw errors.validation('this provider requires PKCE: send code_verifier');
      const claims = await flow.exchangeDeviceCode(provider, input);
      return deps.db.transaction(async () => deps.users.get((await admit(id, provider, claims)).id));
    },

    async identify(id, input) {
      const { state, claims } = await verifiedLogin(id, input);
      const user = await accounts.linked(id, claims.subject);
      if (!user) throw errors.forbidden('this account has not signed in through this provider before');
      mustBeActive(user);
      return { user, return_to: state.return_to, provider_id: id };
    },

    async endSessionUrl(id) {
      return flow.endSessionUrl(forFlow(await stored(id)));
    },
  };
}

function settingsOf({ sealed_client_secret, id, created_at, updated_at, ...settings }: StoredProvider): ProviderSettings {
  return settings;
}

function view({ sealed_client_secret, ...p }: StoredProvider): SsoProviderView {
  return { ...p, client_secret_configured: sealed_client_secret !== null };
}
