import { createHash, randomBytes } from 'node:crypto';

/** 32 random bytes, base64url: the secret an invitation link carries. */
export const newInvitationToken = () => randomBytes(32).toString('base64url');

/** What the database keeps for lookups: sha256 hex, so a leaked table cannot be turned into working links. */
export const hashInvitationToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');
