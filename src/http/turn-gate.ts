/**
 * Keeps each event-loop turn short under load, so that a saturated process still accepts new connections.
 *
 * Node 20's libuv accepts one connection per loop turn (libuv 1.45: "don't accept() connections in a loop"), and a
 * turn runs every request whose bytes have arrived. At 200 busy connections a turn took 100-400 ms, so new
 * connections were accepted at 3-10 a second and their first answer waited seconds. The gate starts a request at
 * once while the current turn has done less than `budgetMs` of work; beyond that, or while others wait, requests
 * queue in arrival order and a drain releases a few per turn, as many as fit in the budget (measured turn by turn).
 * Turns then stay about `budgetMs` long, and the listen socket gets its accept every turn. While connections arrive
 * in a burst (one was accepted this turn), the next turns start nothing and only accept, up to MAX_ACCEPT_TURNS in
 * a row: an empty turn costs microseconds, so 200 clients connecting at once are all accepted within milliseconds.
 */
export interface TurnGate {
  /** Calls `start` now, or later in its turn, first come first served. */
  admit(start: () => void): void;
  /** The server accepted a connection: more may be waiting in the accept queue. */
  accepted(): void;
  /** Requests waiting for a turn. */
  readonly waiting: number;
}

export interface TurnGateOptions {
  /** Work per loop turn before requests wait for the next turn. */
  budgetMs?: number;
  now?: () => number;
}

const DEFAULT_BUDGET_MS = 2;
/** Turns in a row that only accept, so that a flood of connections cannot starve the requests already waiting. */
const MAX_ACCEPT_TURNS = 32;

export function createTurnGate(opts: TurnGateOptions = {}): TurnGate {
  const budgetMs = opts.budgetMs ?? DEFAULT_BUDGET_MS;
  const now = opts.now ?? (() => performance.now());
  const queue = new Fifo<() => void>();
  /** When the current turn's first request started; null between turns. */
  let turnStart: number | null = null;
  let draining = false;
  /** Requests the drain releases per turn: as many as the last turn shows fit in the budget, at most twice as many. */
  let batch = 1;
  let lastDrain: number | null = null;
  let lastReleased = 0;
  let acceptedThisTurn = false;
  let acceptTurns = 0;

  const endTurn = () => {
    turnStart = null;
  };

  function drain() {
    if (acceptedThisTurn && acceptTurns < MAX_ACCEPT_TURNS) {
      // A turn for the accept queue alone; it is not one to size batches by.
      acceptedThisTurn = false;
      acceptTurns++;
      lastDrain = null;
      setImmediate(drain);
      return;
    }
    acceptedThisTurn = false;
    acceptTurns = 0;
    const at = now();
    // Everything since the last drain is one turn: the released requests, then the poll phase with its I/O.
    if (lastDrain !== null && lastReleased > 0) {
      // Sized by what the last turn's releases cost, not grown blindly while the queue ran short: a large batch of
      // slow requests released at once would make the very long turn the gate is there to prevent.
      const fit = Math.floor((lastReleased * budgetMs) / Math.max(at - lastDrain, 0.001));
      batch = Math.min(Math.max(1, fit), lastReleased * 2);
    }
    lastDrain = at;
    const released: Array<() => void> = [];
    while (released.length < batch && queue.size > 0) released.push(queue.shift()!);
    lastReleased = released.length;
    // Rescheduled before the releases run, so that one that throws cannot stall the queue.
    if (queue.size > 0) {
      setImmediate(drain); // scheduled from the check phase, so it runs in the next turn, after its accept
    } else {
      draining = false;
      lastDrain = null;
      batch = 1; // the next burst may be of slower requests
    }
    for (const start of released) start();
  }

  return {
    admit(start) {
      const at = now();
      if (turnStart === null) {
        turnStart = at;
        setImmediate(endTurn);
      }
      if (!draining && at - turnStart < budgetMs) return start();
      queue.push(start);
      if (!draining) {
        draining = true;
        setImmediate(drain);
      }
    },
    accepted() {
      if (draining) acceptedThisTurn = true;
    },
    get waiting() {
      return queue.size;
    },
  };
}

/** A first-in-first-out queue without Array#shift's copying. */
class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head === this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}
