/**
 * Addresses this process has handed to nodes whose transactions have not ended yet, per network.
 *
 * A node create picks its address from a plain read (the network's highest address) and holds no lock while it
 * signs; the unique index on (network_id, ip_number) has the last word. Creates running at once in one process
 * would all read the same highest address, so each also steps over the addresses the others hold here. An address
 * is let go when its transaction ends; one let go while a read is in flight is still avoided by that read (its
 * snapshot may predate the commit that wrote it), so within a process two creates never pick the same address.
 * Rampart nodes sharing a database can still collide: the index refuses the second, which runs again (db.retryIf).
 */
export function createAddressReservations() {
  interface NetworkState {
    held: Set<number>;
    /** Addresses let go, numbered: a read avoids those let go after it began. */
    letGo: { seq: number; ip: number }[];
    /** Where each read in flight began in that numbering. */
    reads: Set<{ from: number }>;
    seq: number;
  }
  const networks = new Map<string, NetworkState>();
  const stateOf = (networkId: string) => {
    let state = networks.get(networkId);
    if (!state) networks.set(networkId, (state = { held: new Set(), letGo: [], reads: new Set(), seq: 0 }));
    return state;
  };
  /** Drops what no read in flight needs any more, and the network once nothing is held or read. */
  const tidy = (networkId: string, state: NetworkState) => {
    const oldest = Math.min(...[...state.reads].map((read) => read.from));
    state.letGo = state.letGo.filter((entry) => entry.seq > oldest);
    if (state.held.size === 0 && state.reads.size === 0) networks.delete(networkId);
  };

  return {
    /**
     * Runs `read` (the network's addresses in use) and answers with what it read and the addresses to avoid
     * besides: those held by this process's other creates, and those let go while it ran.
     */
    async read<T>(networkId: string, read: () => Promise<T>): Promise<{ value: T; avoid: Set<number> }> {
      const state = stateOf(networkId);
      const mine = { from: state.seq };
      state.reads.add(mine);
      try {
        const value = await read();
        const letGo = state.letGo.filter((entry) => entry.seq > mine.from).map((entry) => entry.ip);
        return { value, avoid: new Set([...state.held, ...letGo]) };
      } finally {
        state.reads.delete(mine);
        tidy(networkId, state);
      }
    },

    /** Holds an address until `release`; false when this process holds it already. */
    hold(networkId: string, ip: number): boolean {
      const state = stateOf(networkId);
      if (state.held.has(ip)) return false;
      state.held.add(ip);
      return true;
    },

    release(networkId: string, ip: number): void {
      const state = networks.get(networkId);
      if (!state?.held.delete(ip)) return;
      if (state.reads.size > 0) state.letGo.push({ seq: ++state.seq, ip });
      tidy(networkId, state);
    },
  };
}

export type AddressReservations = ReturnType<typeof createAddressReservations>;
