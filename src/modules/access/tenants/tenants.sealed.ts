import type { SealedColumn } from '../../../core/secrets/sealed-columns.js';

/** The tenants part's columns holding secret-box ciphertexts; `rampart secrets rotate` re-encrypts them. */
export const tenantSealedColumns = {
  keycloakClientSecret: { table: 'access_dirsync_keycloak', idColumn: 'tenant_id', column: 'client_secret' },
} satisfies Record<string, SealedColumn>;
