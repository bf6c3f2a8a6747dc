import { z } from 'zod';
import type { Core } from '../../../core/index.js';
import { errors } from '../../../core/errors.js';
import type { RoleMapping, SsoProviderInput, SsoProviderView, User } from '../../../core/identity/identity.types.js';
import { SSO_STATE_TTL_S } from '../../../core/identity/sso/sso-state.js';
import type { RouteContext } from '../../../http/route.js';

/** What the SSO routes of the egress, edge and overlay surfaces share. */

/** How many role mappings a provider holds, and how many subjects, groups or domains each names. */
const MAPPINGS_MAX = 50;
const MATCHES_MAX = 100;
const matches = z.array(z.string().max(256)).max(MATCHES_MAX).default([]);

const roleMapping = z.object({
  role: z.string().max(128),
  subjects: matches,
  groups: matches,
  email_domains: matches,
});

export const providerView = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(['oidc', 'google', 'github']),
  enabled: z.boolean(),
  is_default: z.boolean(),
  issuer_url: z.string(),
  authorization_url: z.string().nullable(),
  token_url: z.string().nullable(),
  userinfo_url: z.string().nullable(),
  client_id: z.string(),
  client_secret_configured: z.boolean(),
  scopes: z.array(z.string()),
  pkce_required: z.boolean(),
  subject_claim: z.string(),
  email_claim: z.string(),
  groups_claim: z.string(),
  default_role: z.string().nullable(),
  role_mappings: z.array(roleMapping),
  allowed_email_domains: z.array(z.string()),
  session_ttl_s: z.number().int(),
  display_order: z.number().int(),
  created_at: z.string(),
  updated_at: z.string(),
});

/** A list given as JSON array or as one space- or comma-separated string. */
const list = z.union([z.array(z.string().max(256)).max(MATCHES_MAX), z.string().max(8_192)]).transform((v) => (typeof v === 'string' ? v.split(/[\s,]+/).filter(Boolean) : v));
const optionalUrl = z.string().max(2_048).nullable().optional();

/** Neuwerk's admin/readonly rule fields: they become the role_mappings of roles admin and readonly. */
const NEUWERK_RULES = ['admin', 'readonly'] as const;
const RULE_FIELDS = ['subjects', 'groups', 'email_domains'] as const;

/**
 * A provider as clients send it. Liberal in names: Rampart's own, the OIDC metadata names (issuer,
 * authorization_endpoint ...), and Neuwerk's (admin_groups, readonly_subjects, session_ttl_secs ...).
 */
export const providerBody = z.object({
  name: z.string().optional(),
  // generic-oidc is Neuwerk's name for oidc.
  kind: z.enum(['oidc', 'generic-oidc', 'google', 'github']).optional(),
  enabled: z.boolean().optional(),
  is_default: z.boolean().optional(),
  issuer_url: z.string().optional(),
  issuer: z.string().optional(),
  authorization_url: optionalUrl,
  authorization_endpoint: optionalUrl,
  token_url: optionalUrl,
  token_endpoint: optionalUrl,
  userinfo_url: optionalUrl,
  userinfo_endpoint: optionalUrl,
  client_id: z.string().optional(),
  client_secret: z.string().nullable().optional(),
  scopes: list.optional(),
  pkce_required: z.boolean().optional(),
  pkce: z.boolean().optional(),
  subject_claim: z.string().optional(),
  email_claim: z.string().optional(),
  groups_claim: z.string().optional(),
  default_role: z.string().nullable().optional(),
  role_mappings: z.array(roleMapping).max(MAPPINGS_MAX).optional(),
  admin_subjects: list.optional(),
  admin_groups: list.optional(),
  admin_email_domains: list.optional(),
  readonly_subjects: list.optional(),
  readonly_groups: list.optional(),
  readonly_email_domains: list.optional(),
  allowed_email_domains: list.optional(),
  session_ttl_s: z.number().int().optional(),
  session_ttl_secs: z.number().int().optional(),
  session_ttl_seconds: z.number().int().optional(),
  display_order: z.number().int().optional(),
});
export type ProviderBody = z.infer<typeof providerBody>;

/** The body in Rampart's names; Neuwerk's rule fields update the admin and readonly mappings of `current`. */
export function providerInput(body: ProviderBody, current?: SsoProviderView): SsoProviderInput {
  const input: SsoProviderInput = {
    name: body.name,
    kind: body.kind === 'generic-oidc' ? 'oidc' : body.kind,
    enabled: body.enabled,
    is_default: body.is_default,
    issuer_url: body.issuer_url ?? body.issuer,
    authorization_url: body.authorization_url !== undefined ? body.authorization_url : body.authorization_endpoint,
    token_url: body.token_url !== undefined ? body.token_url : body.token_endpoint,
    userinfo_url: body.userinfo_url !== undefined ? body.userinfo_url : body.userinfo_endpoint,
    client_id: body.client_id,
    client_secret: body.client_secret,
    scopes: body.scopes,
    pkce_required: body.pkce_required ?? body.pkce,
    subject_claim: body.subject_claim,
    email_claim: body.email_claim,
    groups_claim: body.groups_claim,
    default_role: body.default_role,
    role_mappings: body.role_mappings,
    allowed_email_domains: body.allowed_email_domains,
    session_ttl_s: body.session_ttl_s ?? body.session_ttl_secs ?? body.session_ttl_seconds,
    display_order: body.display_order,
  };
  const neuwerk = NEUWERK_RULES.flatMap((role) => RULE_FIELDS.map((f) => [role, f, body[`${role}_${f}`]] as const)).filter(([, , v]) => v !== undefined);
  if (neuwerk.length > 0) {
    const mappings: RoleMapping[] = (input.role_mappings ?? current?.role_mappings ?? []).map((m) => ({ ...m }));
    for (const [role, field, value] of neuwerk) {
      let mapping = mappings.find((m) => m.role === role);
      if (!mapping) mappings.push((mapping = { role, subjects: [], groups: [], email_domains: [] }));
      mapping[field] = value!;
    }
    input.role_mappings = mappings.filter((m) => m.subjects.length + m.groups.length + m.email_domains.length > 0);
  }
  return input;
}

/** A kind as Neuwerk names it (SsoProviderKind): oidc is generic-oidc. */
export const egressKind = (kind: SsoProviderView['kind']) => (kind === 'oidc' ? 'generic-oidc' : kind);
const egressKindSchema = z.enum(['generic-oidc', 'google', 'github']);

/**
 * The egress view: Rampart's, with Neuwerk's kind name and session_ttl_secs, plus Neuwerk's admin/readonly rule
 * fields read back from the mappings.
 */
export function egressView(p: SsoProviderView) {
  const rules = Object.fromEntries(
    NEUWERK_RULES.flatMap((role) => RULE_FIELDS.map((f) => [`${role}_${f}`, p.role_mappings.find((m) => m.role === role)?.[f] ?? []])),
  );
  return { ...p, kind: egressKind(p.kind), session_ttl_secs: p.session_ttl_s, ...rules };
}

export const egressProviderView = providerView.extend({
  kind: egressKindSchema,
  session_ttl_secs: z.number().int(),
  ...Object.fromEntries(NEUWERK_RULES.flatMap((role) => RULE_FIELDS.map((f) => [`${role}_${f}`, z.array(z.string())]))),
});

/** The login screen's list (Neuwerk's SsoSupportedProvider): enabled providers by display_order, then name. */
export const egressLoginProvider = z.object({ id: z.string(), name: z.string(), kind: egressKindSchema });
export function egressLoginProviders(providers: SsoProviderView[]) {
  return providers
    .filter((p) => p.enabled)
    .sort((a, b) => a.display_order - b.display_order || a.name.localeCompare(b.name))
    .map(({ id, name, kind }) => ({ id, name, kind: egressKind(kind) }));
}

/** A provider by id or by name (the edge's {provider}); 404 when there is none. */
export async function findProvider(core: Core, idOrName: string): Promise<SsoProviderView> {
  const found = (await core.identity.sso.list()).find((p) => p.id === idOrName || p.name === idOrName);
  if (!found) throw errors.notFound('SSO provider not found');
  return found;
}

/** Whatever the IdP appended to the redirect URI (code, state, iss, error ...). */
export const callbackQuery = z.record(z.string(), z.union([z.string(), z.array(z.string())]));

/** The URL the IdP redirected to: the redirect URI and its query, minus Rampart's own parameters. */
export function callbackUrlOf(redirectUri: string, query: z.infer<typeof callbackQuery>, own: string[] = []): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (!own.includes(k)) for (const one of [v].flat()) params.append(k, one);
  return `${redirectUri}?${params}`;
}

/** The short-lived cookie holding the sealed SSO state, scoped to the paths of its flow. */
export function setStateCookie(ctx: RouteContext<any>, name: string, value: string, path: string) {
  ctx.reply.cookie(name, value, { path, maxAgeSeconds: SSO_STATE_TTL_S, sameSite: 'lax' });
}

/**
 * An SSO login's audit row (identity.login, method sso), written by hand: the callback cannot run in the route's
 * transaction (it waits on the IdP), and failures must be recorded although the request fails.
 */
function auditSsoLogin(ctx: RouteContext<any>, provider: SsoProviderView, outcome: { user: User } | { error: Error }) {
  const user = 'user' in outcome ? outcome.user : null;
  return ctx.recordAudit(
    {
      actor: user ? { type: 'user', id: user.id, name: user.username } : { type: 'anonymous', id: null, name: null },
      action: 'identity.login',
      resource: user ? { type: 'user', id: user.id } : { type: 'sso_provider', id: provider.id },
      result: user ? 'success' : 'failure',
      details: { method: 'sso', provider: provider.name, ...('error' in outcome ? { error: outcome.error.message } : {}) },
    },
  );
}

/** Runs an SSO callback and audits how it ended. */
export async function auditedLogin<T extends { user: User }>(ctx: RouteContext<any>, provider: SsoProviderView, run: () => Promise<T>): Promise<T> {
  let result: T;
  try {
    result = await run();
  } catch (err) {
    await auditSsoLogin(ctx, provider, { error: err as Error });
    throw err;
  }
  await auditSsoLogin(ctx, provider, { user: result.user });
  return result;
}
