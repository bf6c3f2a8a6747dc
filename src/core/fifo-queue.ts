/**
 * A first-come, first-served gate for at most `slots` holders at once. A released slot passes straight to the
 * longest waiter: nobody who arrives later overtakes it, and only that one waiter wakes.
 */
export interface FifoQueue {
  /**
   * Resolves once a slot is held. With `maxWaitMs`, a waiter not let in by then leaves the line and the promise
   * rejects with `onTimeout()`'s error (the caller's to shape, e.g. a 503), so no one waits without bound.
   */
  acquire(limit?: WaitLimit): Promise<void>;
  release(): void;
  /** Takes a slot only if one is free and nobody waits (so it never overtakes a waiter): whether it did. */
  tryAcquire(): boolean;
  /** Runs fn holding a slot. */
  run<T>(fn: () => Promise<T>, limit?: WaitLimit): Promise<T>;
}

export interface WaitLimit {
  maxWaitMs: number;
  onTimeout(): Error;
}

export function createFifoQueue(slots: number): FifoQueue {
  let free = slots;
  const waiting: (() => void)[] = [];
  const queue: FifoQueue = {
    acquire(limit) {
      if (free > 0) {
        free--;
        return Promise.resolve();
      }
      return new Promise<void>((resolve, reject) => {
        const admit = () => {
          clearTimeout(timer);
          resolve();
        };
        waiting.push(admit);
        const timer = limit
          ? setTimeout(() => {
              waiting.splice(waiting.indexOf(admit), 1);
              reject(limit.onTimeout());
            }, limit.maxWaitMs)
          : undefined;
      });
    },
    tryAcquire() {
      if (free <= 0) return false;
      free--;
      return true;
    },
    release() {
      const next = waiting.shift();
      if (next) next();
      else free++;
    },
    async run(fn, limit) {
      await queue.acquire(limit);
      try {
        return await fn();
      } finally {
        queue.release();
      }
    },
  };
  return queue;
}
