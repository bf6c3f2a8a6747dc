import type { Generated } from 'kysely';

/** The config part's tables (edge_config_*): versions, the part's state, the commit-confirm window, S3 settings. */
export interface EdgeConfigVersionRow {
  version: Generated<number>;
  /** The snapshot's JSON, sealed with the secret box (snapshots may carry secrets). */
  config_sealed: string;
  hash: string;
  applied: boolean | number;
  applied_at: string | null;
  rolled_back: boolean | number;
  created_by: string;
  created_at: string;
  comment: string | null;
  resource_count: number;
}

export interface EdgeConfigStateRow {
  id: string;
  /** The hash of the configuration as last saved or restored: a change is saved when the snapshot's differs. */
  current_hash: string | null;
  max_versions: number;
  updated_at: string;
}

export interface EdgeConfigCommitConfirmRow {
  id: string;
  /** idle | armed | confirmed | reverting | reverted | failed */
  status: string;
  description: string;
  timeout_secs: number;
  armed_at: string | null;
  expires_at: string | null;
  armed_by: string | null;
  snapshot_sealed: string | null;
  claimed_by: string | null;
  claimed_at: string | null;
  outcome: string | null;
  updated_at: string;
}

export interface EdgeConfigS3Row {
  id: string;
  enabled: boolean | number;
  bucket: string;
  region: string;
  endpoint: string | null;
  prefix: string;
  path_style: boolean | number;
  access_key_id: string | null;
  secret_sealed: string | null;
  updated_at: string;
}

declare module '../../../core/db/tables.js' {
  interface Tables {
    edge_config_versions: EdgeConfigVersionRow;
    edge_config_state: EdgeConfigStateRow;
    edge_config_commit_confirm: EdgeConfigCommitConfirmRow;
    edge_config_s3: EdgeConfigS3Row;
  }
}
