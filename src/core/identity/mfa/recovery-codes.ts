import { createHash, randomInt } from 'node:crypto';

/** Lower-case letters and digits without the ones people misread (i, l, o, 0, 1). */
const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
const GROUPS = 3;
const GROUP_LENGTH = 4;
const RECOVERY_CODE_COUNT = 10;

/** Fresh codes shaped xxxx-xxxx-xxxx (about 59 bits each), to show the user once. */
export function generateRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  return Array.from({ length: count }, () =>
    Array.from({ length: GROUPS }, () => Array.from({ length: GROUP_LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]).join('')).join('-'),
  );
}

/** Any case, with or without dashes or spaces: people type them as they like. */
const compact = (input: string) => input.toLowerCase().replace(/[\s-]/g, '');

/** Whether a typed string can be a recovery code at all. */
export function isRecoveryCode(input: string): boolean {
  const c = compact(input);
  return c.length === GROUPS * GROUP_LENGTH && [...c].every((ch) => ALPHABET.includes(ch));
}

/** What is stored: sha256 hex of the compact form. The codes carry enough entropy that a plain hash suffices. */
export function hashRecoveryCode(code: string): string {
  return createHash('sha256').update(compact(code)).digest('hex');
}
