import type { SealedColumn } from '../../core/secrets/sealed-columns.js';

/** The overlay's columns holding secret-box ciphertexts; `rampart secrets rotate` re-encrypts them. */
export const overlaySealedColumns = {
  caPrivateKey: { table: 'overlay_cas', column: 'private_key' },
  nodePrivateKey: { table: 'overlay_nodes', column: 'private_key' },
  invitationToken: { table: 'overlay_invitations', column: 'token_sealed' },
} satisfies Record<string, SealedColumn>;
