import { sealContext as contextOf, type SealedColumn } from '../../../core/secrets/sealed-columns.js';

/** The policy part's columns holding secret-box ciphertexts; `rampart secrets rotate` re-encrypts them. */
export const policySealedColumns = {
  signerPrivateKey: { table: 'access_signers', idColumn: 'kid', column: 'private_key_sealed' },
} satisfies Record<string, SealedColumn>;

export const sealContext = contextOf;
