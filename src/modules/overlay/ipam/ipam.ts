import type { Database } from '../../../core/db/database.js';
import { errors } from '../../../core/errors.js';
import { lockNetworkRow } from '../networks/network-lock.js';
import { hostAddressIn, numberToIp, parseSubnet, type Subnet } from './subnet.js';

export interface Allocation {
  ip_address: string;
  ip_number: number;
}

/**
 * Addresses of a network's nodes. Allocation hands out the address after the highest one in use (one indexed
 * lookup, so 10,000 nodes cost no more each than the first) and searches the gaps only when the top of the
 * subnet is reached, which also keeps a just-released address from going straight to another node.
 * Callers run inside a transaction and write the node row in it: on PostgreSQL the network's row is locked for
 * the rest of that transaction, so two concurrent allocations queue instead of picking the same address; SQLite
 * has one writer. The unique index on (network_id, ip_number) backs both.
 */
export function createIpam(db: Database) {
  const taken = async (networkId: string, n: number) =>
    (await db.kysely.selectFrom('overlay_nodes').select('id').where('network_id', '=', networkId).where('ip_number', '=', n).executeTakeFirst()) !== undefined;

  async function topIp(networkId: string): Promise<number | null> {
    const top = await db.kysely.selectFrom('overlay_nodes').select(({ fn }) => fn.max('ip_number').as('max')).where('network_id', '=', networkId).executeTakeFirst();
    return top?.max == null ? null : Number(top.max);
  }
  async function firstGap(networkId: string, subnet: Subnet): Promise<number | undefined> {
    const used = await db.kysely.selectFrom('overlay_nodes').select('ip_number').where('network_id', '=', networkId).where('ip_number', 'is not', null).orderBy('ip_number').execute();
    let candidate = subnet.network + 1;
    for (const { ip_number } of used) {
      if (ip_number! > candidate) break;
      if (ip_number === candidate) candidate++;
    }
    return candidate < subnet.broadcast ? candidate : undefined;
  }

  return {
    /** Whether ip is a free host address of the subnet (400 when it is not a host address of it at all). */
    async isAvailable(networkId: string, subnetCidr: string, ip: string): Promise<boolean> {
      return !(await taken(networkId, hostAddressIn(parseSubnet(subnetCidr), ip)));
    },

    /**
     * Reserves an address for a node about to be written in the same transaction: the suggested one (409 if taken)
     * or the next free. `locked`: the caller holds the network's lock already and read its highest address in it.
     */
    async allocate(networkId: string, subnetCidr: string, suggestedIp?: string | null, locked?: { topIp: number | null }): Promise<Allocation> {
      const subnet = parseSubnet(subnetCidr);
      if (!locked) await lockNetworkRow(db, networkId);
      if (suggestedIp) {
        const n = hostAddressIn(subnet, suggestedIp);
        if (await taken(networkId, n)) throw errors.conflict(`IP address ${suggestedIp} is already in use in this network`);
        return { ip_address: suggestedIp, ip_number: n };
      }
      const top = locked ? locked.topIp : await topIp(networkId);
      const next = top === null ? subnet.network + 1 : top + 1;
      const n = next < subnet.broadcast ? next : await firstGap(networkId, subnet);
      if (n === undefined) throw errors.conflict(`no free address left in ${subnet.cidr}`);
      return { ip_address: numberToIp(n), ip_number: n };
    },
  };
}

export type Ipam = ReturnType<typeof createIpam>;
