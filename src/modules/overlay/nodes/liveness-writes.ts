import type { Core } from '../../../core/index.js';

/** How long a last_seen refresh may wait to be written with the others. */
const FLUSH_AFTER_MS = 1_000;
/** Refreshes per transaction, so one flush never holds SQLite's one connection for long. */
const PER_TRANSACTION = 500;

/**
 * last_seen refreshes of polling devices, written together. A device polling once a minute refreshes its
 * last_seen on nearly every poll (the write interval is 30 s), so at fleet scale one write per poll was most of
 * the cost of an otherwise unchanged poll: each its own commit. A refresh that changes nothing else (the stored
 * status stays what it is) waits up to FLUSH_AFTER_MS and is written with every other refresh of that second, in
 * a few transactions. Only last_seen_at is written, so a deferred refresh never undoes a status change (a
 * revocation) made meanwhile. What the device's remembered poll state says follows at once (device.service.ts).
 * Refreshes still waiting when the process stops are lost: the device's next poll writes its own.
 */
export function createLivenessWrites(core: Pick<Core, 'db' | 'logger'>) {
  const { db } = core;
  let pending = new Map<string, string>();
  let timer: NodeJS.Timeout | undefined;

  async function write(batch: [string, string][]): Promise<void> {
    for (let start = 0; start < batch.length; start += PER_TRANSACTION) {
      await db.transaction(async () => {
        for (const [id, at] of batch.slice(start, start + PER_TRANSACTION)) {
          await db.kysely.updateTable('overlay_nodes').set({ last_seen_at: at }).where('id', '=', id).execute();
        }
      });
    }
  }

  /** Writes every refresh noted so far. */
  async function flush(): Promise<void> {
    clearTimeout(timer);
    timer = undefined;
    const batch = [...pending];
    pending = new Map();
    if (batch.length > 0) await write(batch);
  }

  return {
    /** The node was seen at `at` (ISO): written within FLUSH_AFTER_MS, with the other refreshes. */
    note(nodeId: string, at: string): void {
      pending.set(nodeId, at);
      timer ??= setTimeout(() => {
        flush().catch((err) => core.logger.warn({ err }, 'could not write the last_seen of polling devices; their next polls write it'));
      }, FLUSH_AFTER_MS).unref();
    },
    flush,
  };
}

export type LivenessWrites = ReturnType<typeof createLivenessWrites>;
