/** The updates part's table, typed for Kysely. */
export interface AccessUpdateKeyRow {
  kid: string;
  /** Raw Ed25519 public key, base64url (a JWK's x). */
  public_key: string;
  /** PKCS#8 DER of the private key, sealed by core/secrets. */
  private_key_sealed: string;
  created_at: string;
}

declare module '../../../core/db/tables.js' {
  interface Tables {
    access_update_keys: AccessUpdateKeyRow;
  }
}
