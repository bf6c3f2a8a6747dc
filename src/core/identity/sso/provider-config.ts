import { isIP } from 'node:net';
import { errors } from '../../errors.js';
import type { RoleMapping, SsoProviderInput, SsoProviderView } from '../identity.types.js';

export type SsoKind = SsoProviderView['kind'];

/** A provider's settings, validated and with every default filled in: what a row stores, secret aside. */
export type ProviderSettings = Omit<SsoProviderView, 'id' | 'client_secret_configured' | 'created_at' | 'updated_at'>;

export const GOOGLE_ISSUER = 'https://accounts.google.com';

/** GitHub is OAuth 2 without discovery or id_token: its endpoints are fixed (overridable for GitHub Enterprise). */
export const GITHUB_DEFAULTS = {
  issuer_url: 'https://github.com',
  authorization_url: 'https://github.com/login/oauth/authorize',
  token_url: 'https://github.com/login/oauth/access_token',
  userinfo_url: 'https://api.github.com/user',
};

const KINDS: readonly SsoKind[] = ['oidc', 'google', 'github'];
const DEFAULT_TTL_S = 8 * 3_600;
/** Neuwerk's bounds for session_ttl_secs. */
const TTL_RANGE_S = [1, 30 * 86_400] as const;
/** display_order is Neuwerk's i32. */
const ORDER_RANGE = [-(2 ** 31), 2 ** 31 - 1] as const;

/**
 * Merges input over the current settings (or the defaults, for a new provider) and validates the result.
 * Role names are checked by the caller, which knows the roles.
 */
export function providerSettings(input: SsoProviderInput, current?: ProviderSettings): ProviderSettings {
  const kind = input.kind ?? current?.kind ?? 'oidc';
  if (!KINDS.includes(kind)) throw errors.validation(`kind must be one of ${KINDS.join(', ')}`);
  // A provider changing kind keeps its name, client and mappings, and takes the new kind's endpoints and scopes.
  const base = current ? { ...current, ...(current.kind !== kind ? kindDefaults(kind) : {}) } : defaultsFor(kind);
  const pick = <K extends keyof ProviderSettings>(key: K): ProviderSettings[K] => (input[key] !== undefined ? (input[key] as ProviderSettings[K]) : base[key]);

  const settings: ProviderSettings = {
    name: text(pick('name'), 'name', 100),
    kind,
    enabled: pick('enabled'),
    is_default: pick('is_default'),
    issuer_url: kind === 'google' ? googleIssuer(input.issuer_url) : url(pick('issuer_url'), 'issuer_url'),
    authorization_url: optionalUrl(pick('authorization_url'), 'authorization_url'),
    token_url: optionalUrl(pick('token_url'), 'token_url'),
    userinfo_url: optionalUrl(pick('userinfo_url'), 'userinfo_url'),
    client_id: text(pick('client_id'), 'client_id', 500),
    scopes: list(pick('scopes'), 'scopes'),
    pkce_required: pick('pkce_required'),
    subject_claim: text(pick('subject_claim'), 'subject_claim', 100),
    email_claim: text(pick('email_claim'), 'email_claim', 100),
    groups_claim: text(pick('groups_claim'), 'groups_claim', 100),
    default_role: pick('default_role') || null,
    role_mappings: mappings(pick('role_mappings')),
    allowed_email_domains: list(pick('allowed_email_domains'), 'allowed_email_domains').map((d) => d.toLowerCase().replace(/^@/, '')),
    session_ttl_s: ttl(pick('session_ttl_s')),
    display_order: displayOrder(pick('display_order')),
  };
  if (kind === 'github' && !(settings.authorization_url && settings.token_url && settings.userinfo_url)) {
    throw errors.validation('a github provider needs authorization_url, token_url and userinfo_url');
  }
  // Without it there is no id_token, and nothing proves who logged in.
  if (kind !== 'github' && !settings.scopes.includes('openid')) throw errors.validation('scopes must include openid');
  return settings;
}

function kindDefaults(kind: SsoKind) {
  return {
    kind,
    issuer_url: kind === 'google' ? GOOGLE_ISSUER : '',
    authorization_url: null,
    token_url: null,
    userinfo_url: null,
    ...(kind === 'github' ? GITHUB_DEFAULTS : {}),
    scopes: kind === 'github' ? ['read:user', 'user:email'] : ['openid', 'email', 'profile'],
  };
}

function defaultsFor(kind: SsoKind): ProviderSettings {
  return {
    ...kindDefaults(kind),
    name: '',
    enabled: true,
    is_default: false,
    client_id: '',
    pkce_required: true,
    subject_claim: 'sub',
    email_claim: 'email',
    groups_claim: 'groups',
    default_role: null,
    role_mappings: [],
    allowed_email_domains: [],
    session_ttl_s: DEFAULT_TTL_S,
    display_order: 0,
  };
}

function googleIssuer(given: string | undefined): string {
  if (given !== undefined && given.replace(/\/$/, '') !== GOOGLE_ISSUER) throw errors.validation(`a google provider's issuer_url is ${GOOGLE_ISSUER}`);
  return GOOGLE_ISSUER;
}

function text(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string' || value.trim() === '') throw errors.validation(`${field} is required`);
  if (value.length > max) throw errors.validation(`${field} is longer than ${max} characters`);
  return value.trim();
}

function list(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw errors.validation(`${field} must be a list of strings`);
  return [...new Set(value.map((v: string) => v.trim()).filter(Boolean))];
}

function ttl(value: unknown): number {
  const [min, max] = TTL_RANGE_S;
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
    throw errors.validation(`session_ttl_s must be a whole number of seconds from ${min} to ${max}`);
  }
  return value as number;
}

function displayOrder(value: unknown): number {
  const [min, max] = ORDER_RANGE;
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
    throw errors.validation(`display_order must be a whole number from ${min} to ${max}`);
  }
  return value as number;
}

function mappings(value: unknown): RoleMapping[] {
  if (!Array.isArray(value)) throw errors.validation('role_mappings must be a list');
  return value.map((m: Partial<RoleMapping> | null, i) => {
    if (!m || typeof m !== 'object') throw errors.validation(`role_mappings[${i}] must be an object`);
    return {
      role: text(m.role, `role_mappings[${i}].role`, 100),
      subjects: list(m.subjects ?? [], `role_mappings[${i}].subjects`),
      groups: list(m.groups ?? [], `role_mappings[${i}].groups`),
      email_domains: list(m.email_domains ?? [], `role_mappings[${i}].email_domains`).map((d) => d.toLowerCase().replace(/^@/, '')),
    };
  });
}

function optionalUrl(value: string | null | undefined, field: string): string | null {
  return value ? url(value, field) : null;
}

/**
 * http(s) only, and plain http only to a loopback host: client secrets and authorization codes cross these
 * connections, so anything else must be TLS. Loopback stays allowed for IdPs on the same machine and for tests.
 */
export function url(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') throw errors.validation(`${field} is required`);
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw errors.validation(`${field} is not a valid URL`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw errors.validation(`${field} must be an http(s) URL`);
  if (parsed.protocol === 'http:' && !isLoopback(parsed.hostname)) {
    throw errors.validation(`${field} must use https (plain http is allowed for loopback hosts only)`);
  }
  // Kept as given: an issuer is compared byte for byte with the one its discovery document names.
  return value;
}

export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}
