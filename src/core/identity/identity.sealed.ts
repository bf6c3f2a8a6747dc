import type { SealedColumn } from '../secrets/sealed-columns.js';

/** Identity's columns holding secret-box ciphertexts; `rampart secrets rotate` re-encrypts them. */
export const identitySealedColumns = {
  totpSecret: { table: 'users', column: 'totp_secret' },
  totpPendingSecret: { table: 'users', column: 'totp_pending_secret' },
  signingKey: { table: 'signing_keys', column: 'private_key', idColumn: 'kid' },
  ssoClientSecret: { table: 'sso_providers', column: 'client_secret' },
} satisfies Record<string, SealedColumn>;
