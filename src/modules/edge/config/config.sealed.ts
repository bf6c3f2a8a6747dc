import type { SealedColumn } from '../../../core/secrets/sealed-columns.js';

/** Columns of the config part holding secret-box ciphertexts; `rampart secrets rotate` re-encrypts them. */
export const configSealedColumns = {
  versions: { table: 'edge_config_versions', column: 'config_sealed', idColumn: 'version' },
  commitConfirm: { table: 'edge_config_commit_confirm', column: 'snapshot_sealed' },
  s3Secret: { table: 'edge_config_s3', column: 'secret_sealed' },
} satisfies Record<string, SealedColumn>;
