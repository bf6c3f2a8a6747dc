import { sql } from 'kysely';
import type { Database } from '../../../core/db/database.js';

/**
 * One scan per host at a time across every Rampart node, on SQLite and PostgreSQL alike: a lock row per host,
 * claimed by one atomic upsert that only takes over a row whose lease ran out, and deleted when the scan ends. A
 * worker killed mid-scan leaves its row behind; it lapses with the job's lease, so the worker that takes the job
 * over can claim the host again.
 *
 * The transaction that writes a scan's results fences on the row (it must still hold it), and on PostgreSQL also
 * takes pg_advisory_xact_lock on the host, so two writers of one host's state never interleave even if a lease
 * lapsed under a stalled worker.
 */
export interface HostLockClaim {
  hostId: string;
  scanId: string;
  holder: string;
}

export function createHostLocks(db: Database, now: () => Date) {
  return {
    /**
     * True when this claim now holds the host (fresh, taken over from a lapsed lease, or already its own). The lease
     * ends with the job's own (lockedUntil), when the worker aborts the scan anyway, so a dead worker's claim and
     * its job lapse together and the worker taking the job over finds the host free.
     */
    async claim(claim: HostLockClaim, lockedUntil: string): Promise<boolean> {
      const current = now().toISOString();
      const row = await db.kysely
        .insertInto('fleet_scan_locks')
        .values({ host_id: claim.hostId, scan_id: claim.scanId, holder: claim.holder, locked_until: lockedUntil })
        .onConflict((oc) =>
          oc
            .column('host_id')
            .doUpdateSet({ scan_id: claim.scanId, holder: claim.holder, locked_until: lockedUntil })
            .where((eb) => eb.or([eb('fleet_scan_locks.locked_until', '<', current), eb('fleet_scan_locks.holder', '=', claim.holder)])),
        )
        .returning('holder')
        .executeTakeFirst();
      return row?.holder === claim.holder;
    },

    /**
     * Inside the transaction that writes results: serializes writers of this host and proves the claim still
     * holds, unexpired. Throws when it does not, so the transaction rolls back and nothing of a lost scan is written.
     */
    async fence(claim: HostLockClaim): Promise<void> {
      if (db.dialect.name === 'postgres') {
        await sql`select pg_advisory_xact_lock(hashtext(${`fleet.scan:${claim.hostId}`}))`.execute(db.kysely);
      }
      const held = await db.kysely
        .selectFrom('fleet_scan_locks')
        .select('holder')
        .where('host_id', '=', claim.hostId)
        .where('holder', '=', claim.holder)
        .where('locked_until', '>', now().toISOString())
        .modifyEnd(db.dialect.name === 'postgres' ? sql`for update` : sql``)
        .executeTakeFirst();
      if (!held) throw new LostHostLock(claim.hostId);
    },

    async release(claim: HostLockClaim): Promise<void> {
      await db.kysely.deleteFrom('fleet_scan_locks').where('host_id', '=', claim.hostId).where('holder', '=', claim.holder).execute();
    },
  };
}

export type HostLocks = ReturnType<typeof createHostLocks>;

export class LostHostLock extends Error {
  constructor(hostId: string) {
    super(`lost the scan lock on host ${hostId}: its lease ran out`);
    this.name = 'LostHostLock';
  }
}
