import { runNft } from '../../../core/dataplane/nft-command.js';

/** Rampart's accounting table, apart from the policy table so a generation swap never resets or reshapes it. */
export const STATS_TABLE = 'rampart_egress_stats';

/**
 * Named counters around the policy's forward chain (priority filter): one just before it counts every forwarded
 * packet, one just after counts those it let through (a drop ends a packet's walk, so it never reaches it), and the
 * first packet of each flow let through (unconfirmed conntrack entry) counts a flow opened.
 */
const SCRIPT = `add table inet ${STATS_TABLE}
delete table inet ${STATS_TABLE}
table inet ${STATS_TABLE} {
  counter forwarded { }
  counter allowed { }
  counter flows_opened { }
  chain before_policy {
    type filter hook forward priority filter - 1; policy accept;
    counter name "forwarded"
  }
  chain after_policy {
    type filter hook forward priority filter + 1; policy accept;
    counter name "allowed"
    ct state new ct status & confirmed == 0 counter name "flows_opened"
  }
}
`;

export interface PacketCounts {
  packets: number;
  bytes: number;
}

export interface ForwardCounters {
  forwarded: PacketCounts;
  allowed: PacketCounts;
  flows_opened: number;
}

export interface NftCounters {
  /** Creates the table with zeroed counters (replacing one a previous run left). */
  install(): Promise<void>;
  read(): Promise<ForwardCounters>;
  remove(): Promise<void>;
}

export function createNftCounters(nftCommand: string[] = ['nft']): NftCounters {
  return {
    install: () => runNft(nftCommand, ['-f', '-'], SCRIPT).then(() => undefined),
    async read() {
      const json = JSON.parse(await runNft(nftCommand, ['-j', 'list', 'counters', 'table', 'inet', STATS_TABLE])) as {
        nftables: Array<{ counter?: { name: string; packets: number; bytes: number } }>;
      };
      const byName = new Map(json.nftables.flatMap((o) => (o.counter ? [[o.counter.name, o.counter] as const] : [])));
      const counts = (name: string): PacketCounts => ({ packets: byName.get(name)?.packets ?? 0, bytes: byName.get(name)?.bytes ?? 0 });
      return { forwarded: counts('forwarded'), allowed: counts('allowed'), flows_opened: counts('flows_opened').packets };
    },
    remove: () => runNft(nftCommand, ['delete', 'table', 'inet', STATS_TABLE]).then(() => undefined, () => undefined),
  };
}
