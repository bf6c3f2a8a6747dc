import * as oidc from 'openid-client';
import { RampartError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { isLoopback } from './provider-config.js';
import type { SsoClaims } from './role-mapping.js';
import type { StoredProvider } from './sso.store.js';

/** What the flow needs of a provider: its settings and its client secret, opened. */
export type FlowProvider = Omit<StoredProvider, 'sealed_client_secret'> & { client_secret: string | null };

/** The secrets of one login attempt, kept in the sealed state cookie between start and callback. */
export interface FlowChecks {
  state: string;
  nonce: string;
  verifier: string;
}

/** A code a device obtained on its own (POST /v1/enroll/oidc). */
export interface DeviceCodeInput {
  code: string;
  redirect_uri: string;
  code_verifier?: string;
  nonce?: string;
}

const TIMEOUT_S = 5;
/** Discovery documents change rarely; a login should not fetch one twice in a row. */
const CONFIG_CACHE_MS = 10 * 60_000;

/**
 * The OAuth 2 / OpenID Connect client side of an SSO login, over openid-client: authorization code with state,
 * nonce (OIDC) and PKCE S256. OIDC and Google providers are configured by discovery and prove who logged in with
 * an id_token (verified against the provider's JWKS); GitHub is plain OAuth 2 with fixed endpoints and its user API.
 */
export function createOidcFlow(deps: { logger: Logger; now: () => Date }) {
  const cache = new Map<string, { config: oidc.Configuration; at: number }>();

  async function configFor(p: FlowProvider): Promise<oidc.Configuration> {
    const key = `${p.id}:${p.updated_at}`;
    const hit = cache.get(key);
    if (hit && deps.now().getTime() - hit.at < CONFIG_CACHE_MS) return hit.config;
    const config = await outbound(() => buildConfig(p));
    for (const k of cache.keys()) if (k.startsWith(`${p.id}:`)) cache.delete(k);
    cache.set(key, { config, at: deps.now().getTime() });
    return config;
  }

  return {
    randomChecks(): FlowChecks {
      return { state: oidc.randomState(), nonce: oidc.randomNonce(), verifier: oidc.randomPKCECodeVerifier() };
    },

    async authorizationUrl(p: FlowProvider, checks: FlowChecks, redirectUri: string, prompt?: string): Promise<string> {
      const config = await configFor(p);
      const params: Record<string, string> = { redirect_uri: redirectUri, scope: p.scopes.join(' '), state: checks.state };
      if (p.kind !== 'github') params.nonce = checks.nonce;
      if (p.pkce_required) {
        params.code_challenge = await oidc.calculatePKCECodeChallenge(checks.verifier);
        params.code_challenge_method = 'S256';
      }
      if (prompt) params.prompt = prompt;
      return oidc.buildAuthorizationUrl(config, params).href;
    },

    /** Exchanges the code and returns who logged in; the id_token's claims win over userinfo's. */
    async exchange(p: FlowProvider, checks: FlowChecks, callbackUrl: string): Promise<SsoClaims> {
      const config = await configFor(p);
      return outbound(async () => {
        const tokens = await oidc.authorizationCodeGrant(config, new URL(callbackUrl), {
          expectedState: checks.state,
          ...(p.pkce_required ? { pkceCodeVerifier: checks.verifier } : {}),
          ...(p.kind !== 'github' ? { expectedNonce: checks.nonce, idTokenExpected: true } : {}),
        });
        return p.kind === 'github' ? githubClaims(config, p, tokens.access_token) : oidcClaims(config, p, tokens);
      });
    },

    /**
     * Exchanges a code a device obtained itself (its own authorization request, state and PKCE): the redirect it
     * received is rebuilt from the code, with the issuer the provider names, so the usual response checks apply.
     */
    async exchangeDeviceCode(p: FlowProvider, input: DeviceCodeInput): Promise<SsoClaims> {
      const config = await configFor(p);
      const state = oidc.randomState();
      const callback = new URL(input.redirect_uri);
      callback.search = '';
      callback.searchParams.set('code', input.code);
      callback.searchParams.set('state', state);
      if (config.serverMetadata().authorization_response_iss_parameter_supported) callback.searchParams.set('iss', config.serverMetadata().issuer);
      return outbound(async () => {
        const tokens = await oidc.authorizationCodeGrant(config, callback, {
          expectedState: state,
          ...(input.code_verifier ? { pkceCodeVerifier: input.code_verifier } : {}),
          ...(p.kind !== 'github' ? { expectedNonce: input.nonce, idTokenExpected: true } : {}),
        });
        return p.kind === 'github' ? githubClaims(config, p, tokens.access_token) : oidcClaims(config, p, tokens);
      });
    },

    /** The provider's end_session_endpoint, for logout; null when it has none (or cannot be reached). */
    async endSessionUrl(p: FlowProvider): Promise<string | null> {
      if (p.kind === 'github') return null;
      try {
        const config = await configFor(p);
        if (!config.serverMetadata().end_session_endpoint) return null;
        return oidc.buildEndSessionUrl(config, { client_id: p.client_id }).href;
      } catch (err) {
        deps.logger.warn({ err, provider: p.name }, 'could not read the SSO provider end_session_endpoint');
        return null;
      }
    },

    /** Whether the provider answers: its discovery document (OIDC) or its user API (GitHub). Never throws. */
    async probe(p: Pick<FlowProvider, 'kind' | 'issuer_url' | 'userinfo_url'>): Promise<{ ok: boolean; detail: string; issuer?: string }> {
      return p.kind === 'github' ? probeReachable(p.userinfo_url!) : probeDiscovery(p.issuer_url);
    },
  };
}

export type OidcFlow = ReturnType<typeof createOidcFlow>;

/** Plain http is allowed to loopback providers only (provider-config.ts), so only those get insecure requests. */
function insecureAllowed(p: FlowProvider): boolean {
  return [p.issuer_url, p.authorization_url, p.token_url, p.userinfo_url].some((u) => u?.startsWith('http:') && isLoopback(new URL(u).hostname));
}

async function buildConfig(p: FlowProvider): Promise<oidc.Configuration> {
  const execute = insecureAllowed(p) ? [oidc.allowInsecureRequests] : [];
  let server: oidc.ServerMetadata;
  if (p.kind === 'github') {
    server = { issuer: p.issuer_url, authorization_endpoint: p.authorization_url!, token_endpoint: p.token_url!, userinfo_endpoint: p.userinfo_url! };
  } else {
    const discovered = await oidc.discovery(new URL(p.issuer_url), p.client_id, undefined, undefined, { execute, timeout: TIMEOUT_S });
    // Explicit endpoints override discovered ones (providers behind proxies that advertise internal URLs).
    server = {
      ...(discovered.serverMetadata() as oidc.ServerMetadata),
      ...(p.authorization_url ? { authorization_endpoint: p.authorization_url } : {}),
      ...(p.token_url ? { token_endpoint: p.token_url } : {}),
      ...(p.userinfo_url ? { userinfo_endpoint: p.userinfo_url } : {}),
    };
  }
  const config = new oidc.Configuration(server, p.client_id, p.client_secret ?? undefined, clientAuth(server, p));
  config.timeout = TIMEOUT_S;
  for (const fn of execute) fn(config);
  return config;
}

/** client_secret_basic (OIDC's default) unless the provider supports only post; none for public clients. */
function clientAuth(server: oidc.ServerMetadata, p: FlowProvider): oidc.ClientAuth {
  if (!p.client_secret) return oidc.None();
  const methods = server.token_endpoint_auth_methods_supported;
  const post = p.kind === 'github' || (methods !== undefined && !methods.includes('client_secret_basic') && methods.includes('client_secret_post'));
  return post ? oidc.ClientSecretPost(p.client_secret) : oidc.ClientSecretBasic(p.client_secret);
}

async function oidcClaims(config: oidc.Configuration, p: FlowProvider, tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers): Promise<SsoClaims> {
  const idToken = tokens.claims();
  if (!idToken) throw ssoFailed('the provider returned no id_token');
  let claims: Record<string, unknown> = idToken;
  const missing = [p.subject_claim, p.email_claim, p.groups_claim].some((c) => idToken[c] === undefined);
  // Many providers keep email and groups out of the id_token of a code flow; userinfo has them.
  if (missing && config.serverMetadata().userinfo_endpoint) {
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, idToken.sub);
    claims = { ...userinfo, ...idToken };
  }
  const subject = claims[p.subject_claim];
  if (typeof subject !== 'string' && typeof subject !== 'number') throw ssoFailed(`the provider did not send the ${p.subject_claim} claim`);
  const email = typeof claims[p.email_claim] === 'string' ? (claims[p.email_claim] as string) : null;
  return {
    subject: String(subject),
    email,
    emailVerified: typeof claims.email_verified === 'boolean' ? claims.email_verified : null,
    groups: groupsOf(claims[p.groups_claim]),
    username: typeof claims.preferred_username === 'string' ? claims.preferred_username : null,
    name: typeof claims.name === 'string' ? claims.name : null,
  };
}

/** GitHub's user API: id, login, name; the primary verified address from /user/emails when the scope allows it. */
async function githubClaims(config: oidc.Configuration, p: FlowProvider, accessToken: string): Promise<SsoClaims> {
  const get = async (url: string) => {
    const res = await oidc.fetchProtectedResource(config, accessToken, new URL(url), 'GET', undefined, new Headers({ accept: 'application/vnd.github+json' }));
    if (!res.ok) throw ssoFailed(`${url} answered HTTP ${res.status}`);
    return res.json() as Promise<unknown>;
  };
  const user = (await get(p.userinfo_url!)) as { id?: unknown; login?: unknown; name?: unknown; email?: unknown };
  if (typeof user.id !== 'number' && typeof user.id !== 'string') throw ssoFailed('the GitHub user has no id');
  let email = typeof user.email === 'string' ? user.email : null;
  let emailVerified: boolean | null = null;
  try {
    const emails = (await get(`${p.userinfo_url!.replace(/\/$/, '')}/emails`)) as Array<{ email: string; primary: boolean; verified: boolean }>;
    const primary = emails.find((e) => e.primary) ?? emails.find((e) => e.verified);
    if (primary) {
      email = primary.email;
      emailVerified = primary.verified;
    }
  } catch {
    // Without the user:email scope only the public address is known, and not whether it was verified.
  }
  return {
    subject: String(user.id),
    email,
    emailVerified,
    groups: [],
    username: typeof user.login === 'string' ? user.login : null,
    name: typeof user.name === 'string' ? user.name : null,
  };
}

function groupsOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((g): g is string => typeof g === 'string');
  return typeof value === 'string' && value !== '' ? [value] : [];
}

export function ssoFailed(reason: string): RampartError {
  return new RampartError({ code: 'sso_failed', status: 400, message: `SSO login failed: ${reason}` });
}

function isNetworkError(err: unknown): boolean {
  const e = err as { name?: string; cause?: { name?: string; code?: string } } | undefined;
  return err instanceof TypeError || e?.name === 'TimeoutError' || e?.name === 'AbortError' || e?.cause?.name === 'TimeoutError' || typeof e?.cause?.code === 'string';
}

/** Calls to the provider: unreachable is 502, anything it refuses or gets wrong is a failed login (400). */
async function outbound<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof RampartError) throw err;
    if (err instanceof oidc.AuthorizationResponseError || err instanceof oidc.ResponseBodyError) {
      throw ssoFailed(`the provider answered ${err.error}${err.error_description ? `: ${err.error_description}` : ''}`);
    }
    if (isNetworkError(err)) {
      throw new RampartError({ code: 'bad_gateway', status: 502, fault: 'external', retryable: true, message: 'the SSO provider could not be reached', cause: err });
    }
    throw ssoFailed((err as Error).message);
  }
}

async function probeDiscovery(issuer: string): Promise<{ ok: boolean; detail: string; issuer?: string }> {
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_S * 1000), headers: { accept: 'application/json' } });
    if (!res.ok) return { ok: false, detail: `${url} answered HTTP ${res.status}` };
    const doc = (await res.json()) as { issuer?: unknown; authorization_endpoint?: unknown; token_endpoint?: unknown };
    if (typeof doc.issuer !== 'string') return { ok: false, detail: `${url} is not a discovery document (no issuer)` };
    if (doc.issuer !== issuer) return { ok: false, detail: `the discovery document names issuer ${doc.issuer}, not ${issuer}`, issuer: doc.issuer };
    if (typeof doc.authorization_endpoint !== 'string' || typeof doc.token_endpoint !== 'string') {
      return { ok: false, detail: 'the discovery document lacks authorization_endpoint or token_endpoint', issuer: doc.issuer };
    }
    return { ok: true, detail: 'discovery document fetched', issuer: doc.issuer };
  } catch (err) {
    return { ok: false, detail: `${url} could not be fetched: ${reasonOf(err)}` };
  }
}

async function probeReachable(url: string): Promise<{ ok: boolean; detail: string }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_S * 1000), redirect: 'manual' });
    return { ok: res.status < 500, detail: `${url} answered HTTP ${res.status}` };
  } catch (err) {
    return { ok: false, detail: `${url} could not be reached: ${reasonOf(err)}` };
  }
}

function reasonOf(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return `no answer within ${TIMEOUT_S} s`;
  if (e.name === 'SyntaxError') return 'the answer is not JSON';
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
}
