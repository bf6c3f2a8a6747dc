import { RampartError } from '../../errors.js';
import type { SecretBox } from '../../secrets/secret-box.js';
import type { FlowChecks } from './oidc-flow.js';

/** What the browser carries between start and callback, sealed (AES-GCM: nobody can read or alter it). */
export interface SsoState extends FlowChecks {
  provider_id: string;
  redirect_uri: string;
  return_to: string | null;
  /** Unix seconds. */
  exp: number;
}

export const SSO_STATE_TTL_S = 10 * 60;
const CONTEXT = 'sso.state';

export function sealState(secrets: SecretBox, state: SsoState): string {
  return secrets.seal(JSON.stringify(state), CONTEXT);
}

export const invalidState = () => new RampartError({ code: 'invalid_sso_state', status: 400, message: 'invalid or expired SSO state' });

/** The state of a login at this provider; missing, altered, expired or another provider's: 400. */
export function openState(secrets: SecretBox, cookie: string | undefined, providerId: string, now: Date): SsoState {
  if (!cookie) throw invalidState();
  let state: SsoState;
  try {
    state = JSON.parse(secrets.openString(cookie, CONTEXT)) as SsoState;
  } catch {
    throw invalidState();
  }
  if (state.provider_id !== providerId || !(state.exp > now.getTime() / 1000)) throw invalidState();
  return state;
}

/** Where to go after login: a path on this site only, so the flow cannot be turned into an open redirect. */
export function localPath(returnTo: string | null | undefined): string | null {
  if (!returnTo || !returnTo.startsWith('/') || returnTo.startsWith('//') || returnTo.includes('\\')) return null;
  return returnTo;
}
