import type { SealedColumn } from '../../../core/secrets/sealed-columns.js';

/** Columns of the runtime-settings tables that hold secret-box ciphertexts; `rampart secrets rotate` re-encrypts them. */
export const settingsSealedColumns = {
  tlsCaKey: { table: 'egress_tls_intercept_ca', column: 'private_key_sealed' },
  integrationToken: { table: 'egress_integrations', column: 'token_sealed' },
} satisfies Record<string, SealedColumn>;
