/**
 * Recently blocked packets, newest last, as the firewall's `log group` lines report them (a bounded ring: the
 * blocked list and the metrics payload read it). A reader of the nflog group feeds it where one runs.
 */
export interface BlockedEntry {
  timestamp: string;
  action: string;
  direction: string;
  interface: string;
  protocol: string;
  src_addr: string;
  src_port: number;
  dst_addr: string;
  dst_port: number;
  rule: string | null;
}

export function createBlockedRing(capacity = 10_000) {
  const entries: BlockedEntry[] = [];
  return {
    push(entry: BlockedEntry) {
      entries.push(entry);
      if (entries.length > capacity) entries.splice(0, entries.length - capacity);
    },
    /** The entries matching every filter given, newest first. */
    list(filter: { src?: string; dst?: string; protocol?: string; interface?: string }): BlockedEntry[] {
      return entries
        .filter((e) => (!filter.src || e.src_addr === filter.src) && (!filter.dst || e.dst_addr === filter.dst))
        .filter((e) => (!filter.protocol || e.protocol === filter.protocol) && (!filter.interface || e.interface === filter.interface))
        .reverse();
    },
    recent(n: number) {
      return entries.slice(-n).reverse();
    },
  };
}

export type BlockedRing = ReturnType<typeof createBlockedRing>;
