import type { TokenClaims } from '../identity.types.js';

export type VerifiedClaims = Readonly<TokenClaims & { kid: string }>;

/**
 * Tokens whose signature has been checked, with their claims. An Ed25519 verification costs about as much as
 * the rest of a request, and a client presents the same token on every request until it expires: so each token's
 * signature is checked once, its expiry (by the keyset) every time. The keyset forgets them all whenever a key stops
 * verifying (retired, or a change event), so a retired key's tokens never outlive the key; a timed reload that
 * finds the same keys keeps them.
 *
 * Least recently used out first, sized for a fleet: every enrolled device presents its own token on each poll, so a
 * bound below the number of polling devices would redo nearly every check (an entry is well under 1 kB).
 */
export function createVerifiedTokens(max = 100_000) {
  const tokens = new Map<string, { claims: VerifiedClaims; used: number }>();
  // Uses counted: a hit among the newest half of the entries is not moved, which would cost two more lookups of a
  // long key on every request; the map's order stays an approximate recency order (older hits move on their next use).
  let uses = 0;
  // Bumped on forget(), so a verification that started before does not memoize its result after.
  let generation = 0;

  return {
    get(token: string): VerifiedClaims | undefined {
      const entry = tokens.get(token);
      if (!entry) return undefined;
      if (++uses - entry.used > max / 2) {
        tokens.delete(token); // re-inserted: Map order is recency order
        tokens.set(token, entry);
        entry.used = uses;
      }
      return entry.claims;
    },
    delete: (token: string) => void tokens.delete(token),
    /** Taken before verifying, handed to remember(). */
    mark: () => generation,
    remember(token: string, claims: VerifiedClaims, mark: number) {
      if (mark !== generation) return;
      if (tokens.size >= max) tokens.delete(tokens.keys().next().value!);
      tokens.set(token, { claims, used: ++uses });
    },
    forget() {
      generation++;
      tokens.clear();
    },
  };
}
