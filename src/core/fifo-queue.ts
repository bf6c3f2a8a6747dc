/**
 * A first-come, first-served gate for at most `slots` holders at once. A released slot passes straight to the
 * longest waiter: nobody who arrives later overtakes it, and only that one waiter wakes.
 */
export interface FifoQueue {
  acquire(): Promise<void>;
  release(): void;
  /** Runs fn holding a slot. */
  run<T>(fn: () => Promise<T>): Promise<T>;
}

export function createFifoQueue(slots: number): FifoQueue {
  let free = slots;
  const waiting: (() => void)[] = [];
  const queue: FifoQueue = {
    acquire() {
      if (free > 0) {
        free--;
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => waiting.push(resolve));
    },
    release() {
      const next = waiting.shift();
      if (next) next();
      else free++;
    },
    async run(fn) {
      await queue.acquire();
      try {
        return await fn();
      } finally {
        queue.release();
      }
    },
  };
  return queue;
}
