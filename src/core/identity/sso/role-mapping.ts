import type { RoleMapping } from '../identity.types.js';

/** What Rampart takes from an SSO login, whatever the provider called it (see oidc-flow.ts). */
export interface SsoClaims {
  subject: string;
  email: string | null;
  /** The provider's email_verified; null when it does not say. */
  emailVerified: boolean | null;
  groups: string[];
  /** preferred_username (OIDC) or login (GitHub). */
  username: string | null;
  name: string | null;
}

/** The lower-cased domain of an address, or null when it is not one. */
export function emailDomainOf(email: string | null): string | null {
  if (!email) return null;
  const at = email.lastIndexOf('@');
  return at > 0 && at < email.length - 1 ? email.slice(at + 1).toLowerCase() : null;
}

/**
 * The domain an email grants, for the allow-list and for domain mappings. An address the provider says it did not
 * verify grants nothing (anyone can type a colleague's address at some IdPs); one it says nothing about counts,
 * because several enterprise IdPs (Entra ID among them) only ever assert addresses they own and omit the claim.
 */
function trustedDomain(claims: Pick<SsoClaims, 'email' | 'emailVerified'>): string | null {
  return claims.emailVerified === false ? null : emailDomainOf(claims.email);
}

/** An empty allow-list admits everyone; otherwise the email must be present and its domain listed. */
export function isEmailAllowed(allowedDomains: readonly string[], claims: Pick<SsoClaims, 'email' | 'emailVerified'>): boolean {
  if (allowedDomains.length === 0) return true;
  const domain = trustedDomain(claims);
  return domain !== null && allowedDomains.some((d) => d.toLowerCase() === domain);
}

/**
 * The role an SSO login gets. Neuwerk's order: subject lists first, then group lists, then email-domain lists,
 * across all mappings, so the most specific rule wins (a subject listed as readonly stays readonly even when one
 * of its groups maps to admin); within one kind, mappings are tried in their order. Then the default role, else null.
 */
export function resolveRole(mappings: readonly RoleMapping[], defaultRole: string | null, claims: SsoClaims): string | null {
  const domain = trustedDomain(claims);
  const groups = new Set(claims.groups);
  const matchers: Array<(m: RoleMapping) => boolean> = [
    (m) => m.subjects.includes(claims.subject),
    (m) => m.groups.some((g) => groups.has(g)),
    (m) => domain !== null && m.email_domains.some((d) => d.toLowerCase() === domain),
  ];
  for (const matches of matchers) {
    const hit = mappings.find(matches);
    if (hit) return hit.role;
  }
  return defaultRole;
}
