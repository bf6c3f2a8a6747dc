import { accessErrors } from '../common/access-errors.js';

/** The OIDC provider presets of the access settings (research/ztna.md): Keycloak, Entra ID and Okta are OIDC issuers. */
export type OidcPreset = 'oidc' | 'keycloak' | 'entra' | 'okta';

export interface PresetInput {
  issuer?: string;
  base_url?: string;
  realm?: string;
  directory_id?: string;
  okta_domain?: string;
  authorization_server?: string;
}

const trim = (u: string) => u.replace(/\/+$/, '');

/** The issuer URL a preset's fields name (undefined when the input names none, on an update). */
export function issuerOf(type: OidcPreset, p: PresetInput): string | undefined {
  switch (type) {
    case 'oidc':
      return p.issuer;
    case 'keycloak':
      if (!p.base_url && !p.realm) return undefined;
      if (!p.base_url || !p.realm) throw accessErrors.invalid('a Keycloak provider needs base_url and realm');
      return `${trim(p.base_url)}/realms/${encodeURIComponent(p.realm)}`;
    case 'entra':
      if (!p.directory_id) return undefined;
      if (!/^[0-9a-f-]{36}$|^[a-z0-9.-]+\.[a-z]{2,}$/i.test(p.directory_id)) throw accessErrors.invalid('directory_id is the Entra tenant id (a GUID) or a verified domain');
      return `https://login.microsoftonline.com/${p.directory_id}/v2.0`;
    case 'okta':
      if (!p.okta_domain) return undefined;
      if (!/^[a-z0-9.-]+\.[a-z]{2,}$/i.test(p.okta_domain)) throw accessErrors.invalid('okta_domain is a host name such as example.okta.com');
      return `https://${p.okta_domain}${p.authorization_server ? `/oauth2/${encodeURIComponent(p.authorization_server)}` : ''}`;
  }
}

/** Which preset an issuer came from, for the list. */
export function presetOf(issuer: string): OidcPreset {
  if (/\/realms\/[^/]+$/.test(issuer)) return 'keycloak';
  if (/^https:\/\/login\.microsoftonline\.com\//.test(issuer)) return 'entra';
  if (/^https:\/\/[^/]+\.(okta|oktapreview)\.com(\/|$)/.test(issuer)) return 'okta';
  return 'oidc';
}

/** The groups claim each preset's IdP puts group names in by default. */
export const DEFAULT_GROUPS_CLAIM: Record<OidcPreset, string> = { oidc: 'groups', keycloak: 'groups', entra: 'groups', okta: 'groups' };
