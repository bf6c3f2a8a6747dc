import { errors } from '../../errors.js';

const UNIT_SECONDS = { s: 1, m: 60, h: 3_600, d: 86_400 } as const;
/** Neuwerk's default lifetime of a service-account token. */
export const DEFAULT_TTL_S = 90 * 86_400;
const MAX_TTL_S = 3_650 * 86_400;

/**
 * A token's lifetime in seconds from the mint request: ttl ("3600s", "30m", "24h", "90d"), eternal (null: no
 * exp), or the 90-day default; ttl and eternal together are refused.
 */
export function tokenLifetime(input: { ttl?: string; eternal?: boolean }): number | null {
  const hasTtl = input.ttl !== undefined && input.ttl !== null;
  if (hasTtl && input.eternal) throw errors.badRequest('ttl and eternal are mutually exclusive');
  if (input.eternal) return null;
  if (!hasTtl) return DEFAULT_TTL_S;
  const match = /^(\d{1,7})([smhd])$/.exec(String(input.ttl));
  const seconds = match ? Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS] : 0;
  if (seconds <= 0) throw errors.badRequest(`ttl ${input.ttl} is not a duration such as 3600s, 30m, 24h or 90d`);
  if (seconds > MAX_TTL_S) throw errors.badRequest('ttl must be at most 3650d; use eternal for a token that never expires');
  return seconds;
}
