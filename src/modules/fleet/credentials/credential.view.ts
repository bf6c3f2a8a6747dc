import type { FleetCredentialRow } from '../hosts/hosts.tables.js';

/** A credential as the API shows it: metadata only, never the password, key or passphrase. */
export interface CredentialView {
  id: string;
  scope: 'system' | 'host';
  scope_id: string | null;
  name: string;
  description: string | null;
  username: string;
  auth_method: 'ssh_key' | 'password' | 'both';
  ssh_key_fingerprint: string | null;
  ssh_key_type: string | null;
  ssh_key_bits: number | null;
  ssh_key_comment: string | null;
  is_default: boolean;
  is_active: boolean;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

export function toCredentialView(row: FleetCredentialRow, fromBool: (v: unknown) => boolean): CredentialView {
  return {
    id: row.id,
    scope: row.scope,
    scope_id: row.scope_id,
    name: row.name,
    description: row.description,
    username: row.username,
    auth_method: row.auth_method,
    ssh_key_fingerprint: row.ssh_key_fingerprint,
    ssh_key_type: row.ssh_key_type,
    ssh_key_bits: row.ssh_key_bits,
    ssh_key_comment: row.ssh_key_comment,
    is_default: fromBool(row.is_default),
    is_active: fromBool(row.is_active),
    created_by: row.created_by,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}
