import type { SealedColumn } from '../../core/secrets/sealed-columns.js';

/** The fleet's columns holding secret-box ciphertexts; `rampart secrets rotate` re-encrypts them. */
export const fleetSealedColumns = {
  credentialPassword: { table: 'fleet_credentials', column: 'password_sealed' },
  credentialPrivateKey: { table: 'fleet_credentials', column: 'private_key_sealed' },
  credentialPassphrase: { table: 'fleet_credentials', column: 'private_key_passphrase_sealed' },
  notificationChannelUrl: { table: 'fleet_notification_channels', column: 'url_sealed' },
  notificationChannelSecret: { table: 'fleet_notification_channels', column: 'secret_sealed' },
  notificationChannelToken: { table: 'fleet_notification_channels', column: 'token_sealed' },
} satisfies Record<string, SealedColumn>;
