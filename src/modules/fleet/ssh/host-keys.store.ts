import { createHash } from 'node:crypto';
import type { Database } from '../../../core/db/database.js';

/** A host key as first seen: the key type, `SHA256:<base64>` (ssh-keygen -l), and the wire-format key in base64. */
export interface FleetSshHostKeyRow {
  host_key_name: string;
  key_type: string;
  fingerprint: string;
  public_key: string;
  trusted_at: string;
  last_seen_at: string;
}

declare module '../../../core/db/tables.js' {
  interface Tables {
    fleet_ssh_host_keys: FleetSshHostKeyRow;
  }
}

export interface PresentedHostKey {
  keyType: string;
  fingerprint: string;
  publicKey: string;
}

/** Reads the SSH wire-format public key (string key type, then key data) into what the store keeps. */
export function describeHostKey(wire: Buffer): PresentedHostKey {
  const typeLength = wire.length >= 4 ? wire.readUInt32BE(0) : 0;
  const keyType = typeLength > 0 && typeLength <= wire.length - 4 ? wire.subarray(4, 4 + typeLength).toString('latin1') : 'unknown';
  const fingerprint = `SHA256:${createHash('sha256').update(wire).digest('base64').replace(/=+$/, '')}`;
  return { keyType, fingerprint, publicKey: wire.toString('base64') };
}

export type HostKeyVerdict = 'trusted_now' | 'matches' | 'mismatch';

export function createHostKeyStore(db: Database, now: () => Date) {
  const find = (name: string) =>
    db.kysely.selectFrom('fleet_ssh_host_keys').selectAll().where('host_key_name', '=', name).executeTakeFirst();

  /** Trust on first use: the first key seen for a name is stored; later the same key must be presented. */
  async function check(name: string, key: PresentedHostKey): Promise<HostKeyVerdict> {
    const at = now().toISOString();
    const known = await find(name);
    if (!known) {
      try {
        await db.kysely
          .insertInto('fleet_ssh_host_keys')
          .values({ host_key_name: name, key_type: key.keyType, fingerprint: key.fingerprint, public_key: key.publicKey, trusted_at: at, last_seen_at: at })
          .execute();
        return 'trusted_now';
      } catch (err) {
        // Another connection to the same host stored its key first: compare with that one.
        if (!db.dialect.isUniqueViolation(err)) throw err;
        return (await find(name))?.public_key === key.publicKey ? 'matches' : 'mismatch';
      }
    }
    if (known.public_key !== key.publicKey) return 'mismatch';
    await db.kysely.updateTable('fleet_ssh_host_keys').set({ last_seen_at: at }).where('host_key_name', '=', name).execute();
    return 'matches';
  }

  return {
    check,
    get: find,
    /** Forgets the trusted key (after an operator confirmed a host was rebuilt); the next connection trusts anew. */
    async forget(name: string): Promise<FleetSshHostKeyRow | undefined> {
      const known = await find(name);
      if (known) await db.kysely.deleteFrom('fleet_ssh_host_keys').where('host_key_name', '=', name).execute();
      return known;
    },
  };
}

export type HostKeyStore = ReturnType<typeof createHostKeyStore>;
