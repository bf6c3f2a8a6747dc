import type { TokenClaims } from '../identity.types.js';

export type VerifiedClaims = Readonly<TokenClaims & { kid: string }>;

/**
 * Tokens whose signature has been checked, with their claims. An Ed25519 verification costs about as much as
 * the rest of a request, and a client presents the same token on every request until it expires: so each token's
 * signature is checked once, its expiry (by the keyset) every time. The keyset forgets them all whenever its keys
 * change or are reloaded, so a retired key's tokens never outlive the key.
 *
 * Least recently used out first, sized for a fleet: every enrolled device presents its own token on each poll, so a
 * bound below the number of polling devices would redo nearly every check (an entry is well under 1 kB).
 */
export function createVerifiedTokens(max = 100_000) {
  const tokens = new Map<string, VerifiedClaims>();
  // Bumped on forget(), so a verification that started before does not memoize its result after.
  let generation = 0;

  return {
    get(token: string) {
      const claims = tokens.get(token);
      if (claims) {
        tokens.delete(token); // re-inserted: Map order is recency order
        tokens.set(token, claims);
      }
      return claims;
    },
    delete: (token: string) => void tokens.delete(token),
    /** Taken before verifying, handed to remember(). */
    mark: () => generation,
    remember(token: string, claims: VerifiedClaims, mark: number) {
      if (mark !== generation) return;
      if (tokens.size >= max) tokens.delete(tokens.keys().next().value!);
      tokens.set(token, claims);
    },
    forget() {
      generation++;
      tokens.clear();
    },
  };
}
