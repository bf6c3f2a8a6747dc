import { randomInt } from 'node:crypto';
import type { Database } from '../../../core/db/database.js';
import { errors } from '../../../core/errors.js';
import { lockNetworkRow } from '../networks/network-lock.js';
import { createAddressReservations } from './reservations.js';
import { hostAddressIn, numberToIp, parseSubnet, type Subnet } from './subnet.js';

export interface Allocation {
  ip_address: string;
  ip_number: number;
}

/**
 * Addresses of a network's nodes. Allocation hands out the address after the highest one in use (one indexed
 * lookup, so 10,000 nodes cost no more each than the first) and searches the gaps only when the top of the
 * subnet is reached, which also keeps a just-released address from going straight to another node.
 * Callers run inside a transaction and write the node row in it. `allocate` locks the network's row (PostgreSQL)
 * for the rest of that transaction, so two allocations queue instead of picking the same address; `claim` (node
 * creates) takes no lock and steps over the addresses this process's other creates hold (reservations.ts). SQLite
 * has one writer. The unique index on (network_id, ip_number) backs both.
 */
export function createIpam(db: Database) {
  const reservations = createAddressReservations();
  const taken = async (networkId: string, n: number) =>
    (await db.kysely.selectFrom('overlay_nodes').select('id').where('network_id', '=', networkId).where('ip_number', '=', n).executeTakeFirst()) !== undefined;

  async function topIp(networkId: string): Promise<number | null> {
    const top = await db.kysely.selectFrom('overlay_nodes').select(({ fn }) => fn.max('ip_number').as('max')).where('network_id', '=', networkId).executeTakeFirst();
    return top?.max == null ? null : Number(top.max);
  }
  async function usedAddresses(networkId: string): Promise<Set<number>> {
    const rows = await db.kysely.selectFrom('overlay_nodes').select('ip_number').where('network_id', '=', networkId).where('ip_number', 'is not', null).execute();
    return new Set(rows.map((r) => r.ip_number!));
  }
  /** The first host address from `from` up that is not in `used` and that `take` accepts; undefined when none is left. */
  function firstFree(subnet: Subnet, from: number, used: ReadonlySet<number>, take: (n: number) => boolean = () => true): number | undefined {
    for (let n = from; n < subnet.broadcast; n++) if (!used.has(n) && take(n)) return n;
    return undefined;
  }
  const start = (subnet: Subnet, top: number | null) => (top === null ? subnet.network + 1 : top + 1);

  return {
    /** Whether ip is a free host address of the subnet (400 when it is not a host address of it at all). */
    async isAvailable(networkId: string, subnetCidr: string, ip: string): Promise<boolean> {
      return !(await taken(networkId, hostAddressIn(parseSubnet(subnetCidr), ip)));
    },

    /**
     * An address for a node re-addressed in this transaction (a re-key, a re-enrollment): the suggested one (409 if
     * taken) or the next free, with the network's row locked until the transaction ends (PostgreSQL).
     */
    async allocate(networkId: string, subnetCidr: string, suggestedIp?: string | null): Promise<Allocation> {
      const subnet = parseSubnet(subnetCidr);
      await lockNetworkRow(db, networkId);
      if (suggestedIp) {
        const n = hostAddressIn(subnet, suggestedIp);
        if (await taken(networkId, n)) throw errors.conflict(`IP address ${suggestedIp} is already in use in this network`);
        return { ip_address: suggestedIp, ip_number: n };
      }
      const n = firstFree(subnet, start(subnet, await topIp(networkId)), new Set()) ?? firstFree(subnet, subnet.network + 1, await usedAddresses(networkId));
      if (n === undefined) throw errors.conflict(`no free address left in ${subnet.cidr}`);
      return { ip_address: numberToIp(n), ip_number: n };
    },

    /**
     * Runs the caller's read of the network's highest address (a node create reads it with its other checks) so
     * that `claim` can step over what this process's other creates hold: pass it what this answers.
     */
    readTop<T extends { topIp: number | null }>(networkId: string, read: () => Promise<T>): Promise<{ value: T; avoid: Set<number> }> {
      return reservations.read(networkId, read);
    },

    /**
     * An address for a node this transaction writes, without the network's lock: the suggested one (409 if a node
     * has it or another create of this process holds it) or the next free above `topIp` that no other create here
     * holds (`spread`: that many addresses farther up at random, away from another node's creates in flight).
     * Held until the transaction ends; the unique index refuses it if another Rampart node took it first.
     */
    async claim(networkId: string, subnetCidr: string, suggestedIp: string | null, read: { value: { topIp: number | null }; avoid: Set<number> }, spread = 0): Promise<Allocation> {
      const subnet = parseSubnet(subnetCidr);
      let n: number | undefined;
      if (suggestedIp) {
        n = hostAddressIn(subnet, suggestedIp);
        if (read.avoid.has(n) || (await taken(networkId, n)) || !reservations.hold(networkId, n)) {
          throw errors.conflict(`IP address ${suggestedIp} is already in use in this network`);
        }
      } else {
        // Held in the same synchronous step as the choice: another create of this process cannot slip in between.
        const hold = (candidate: number) => reservations.hold(networkId, candidate);
        n = firstFree(subnet, Math.min(start(subnet, read.value.topIp) + randomInt(spread + 1), subnet.broadcast), read.avoid, hold);
        if (n === undefined) {
          const gap = await reservations.read(networkId, () => usedAddresses(networkId));
          n = firstFree(subnet, subnet.network + 1, new Set([...gap.value, ...gap.avoid, ...read.avoid]), hold);
        }
        if (n === undefined) throw errors.conflict(`no free address left in ${subnet.cidr}`);
      }
      const held = n;
      db.afterEnd(() => reservations.release(networkId, held));
      return { ip_address: numberToIp(n), ip_number: n };
    },
  };
}

export type Ipam = ReturnType<typeof createIpam>;
