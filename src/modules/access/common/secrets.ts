import { createHash, randomBytes } from 'node:crypto';

/**
 * Bearer secrets of the access module. Each kind has its own prefix, so a caller's credential says what it is
 * (common/caller.ts routes it without a lookup per kind): ret_ enrollment token, rdt_ device token, rgt_ gateway
 * token (issued by the gateways part). 32 random bytes: a plain sha256 is enough to store them, nothing to guess.
 */
export const SECRET_PREFIX = { enrollment: 'ret_', device: 'rdt_', gateway: 'rgt_' } as const;

export function newSecret(prefix: string): string {
  return prefix + randomBytes(32).toString('base64url');
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** What an operator sees of a secret: its kind prefix and a few characters, enough to tell two apart. */
export function displayPrefix(secret: string): string {
  return secret.slice(0, 12);
}
