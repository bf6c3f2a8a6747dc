/**
 * The runtime-settings tables of the egress module (settings.migrations.ts). Columns named *_sealed hold
 * secret-box ciphertexts (settings.sealed.ts). Timestamps are ISO strings; json columns go through db.dialect.
 */
export interface EgressSettingRow {
  /** 'performance_mode', ... */
  key: string;
  /** JSON text (SQLite) or jsonb (PostgreSQL). */
  value: unknown;
  updated_at: string;
}

/** At most one row (id 'default'): the CA the TLS-intercept service signs leaf certificates with. */
export interface EgressTlsCaRow {
  id: string;
  certificate_pem: string;
  /** The CA's private key as PKCS#8 PEM, sealed. */
  private_key_sealed: string;
  /** Lowercase hex SHA-256 of the certificate's DER. */
  fingerprint_sha256: string;
  created_at: string;
}

export interface EgressIntegrationRow {
  id: string;
  name: string;
  kind: string;
  api_server_url: string;
  ca_cert_pem: string;
  /** The service account token, sealed. */
  token_sealed: string;
  created_at: string;
  updated_at: string;
}

declare module '../../../core/db/tables.js' {
  interface Tables {
    egress_settings: EgressSettingRow;
    egress_tls_intercept_ca: EgressTlsCaRow;
    egress_integrations: EgressIntegrationRow;
  }
}
