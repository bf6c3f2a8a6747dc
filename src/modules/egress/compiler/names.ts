import { createHash } from 'node:crypto';

/**
 * nft object names from ids users choose: ids may hold any character and be long, nft names may not, so names are
 * a short prefix plus a hash. Stable across generations, so a DNS-learned set keeps its name (and its addresses)
 * while its rule exists.
 */
export function nftName(prefix: string, ...parts: string[]): string {
  const hash = createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
  return `${prefix}_${hash}`;
}
