import { RampartError } from '../../errors.js';
import type { SecretBox } from '../../secrets/secret-box.js';
import type { Keyset } from '../identity.types.js';

/** How long a reauth token lets its user perform destructive actions. */
export const REAUTH_TTL_S = 5 * 60;

const reauthRequired = () =>
  new RampartError({ code: 'reauth_required', status: 403, fault: 'policy', message: 'a valid reauth_token is required for this action' });

/** A short-lived proof that the user just authenticated again (overlay: /api/auth/reauth/callback). */
export async function issueReauthToken(keyset: Keyset, userId: string): Promise<{ token: string; expires_in: number }> {
  const { token } = await keyset.sign({ sub: userId, typ: 'reauth' }, REAUTH_TTL_S);
  return { token, expires_in: REAUTH_TTL_S };
}

/**
 * For destructive actions: the token must be a reauth token (not an access or session token) of this very user,
 * still valid. Anything else answers 403 reauth_required.
 */
export async function verifyReauthToken(keyset: Keyset, token: string | null | undefined, userId: string): Promise<void> {
  if (!token) throw reauthRequired();
  let claims: Awaited<ReturnType<Keyset['verify']>>;
  try {
    claims = await keyset.verify(token);
  } catch {
    throw reauthRequired();
  }
  if (claims.typ !== 'reauth' || claims.sub !== userId) throw reauthRequired();
}

/** A pending reauthentication, sealed in a cookie between the challenge and the callback. */
export interface ReauthChallenge {
  challenge: string;
  user_id: string;
  /** The SSO login state when the default provider reauthenticates; null in dev mode without one. */
  sso_state: string | null;
  provider_id: string | null;
  /** Unix seconds. */
  exp: number;
}

const CHALLENGE_CONTEXT = 'overlay.reauth';

export function sealChallenge(secrets: SecretBox, challenge: ReauthChallenge): string {
  return secrets.seal(JSON.stringify(challenge), CHALLENGE_CONTEXT);
}

export const invalidChallenge = () => new RampartError({ code: 'invalid_reauth_challenge', status: 400, message: 'invalid or expired reauthentication challenge' });

/** The pending challenge; missing, altered or expired: 400. */
export function openChallenge(secrets: SecretBox, cookie: string | undefined, now: Date): ReauthChallenge {
  if (!cookie) throw invalidChallenge();
  let challenge: ReauthChallenge;
  try {
    challenge = JSON.parse(secrets.openString(cookie, CHALLENGE_CONTEXT)) as ReauthChallenge;
  } catch {
    throw invalidChallenge();
  }
  if (!(challenge.exp > now.getTime() / 1000)) throw invalidChallenge();
  return challenge;
}
