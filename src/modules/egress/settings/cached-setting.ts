import type { Core } from '../../../core/index.js';
import { createSettingsStore } from './settings.store.js';

/**
 * One egress setting (a JSON value under a key), read on hot paths and so cached in memory per node. A write
 * drops the cache on commit and publishes `topic`, so every node (through the PostgreSQL bridge) drops its own.
 */
export function createCachedSetting<Stored, View>(
  core: Pick<Core, 'db' | 'now' | 'events'>,
  options: { key: string; topic: string; view(stored: Stored | null): View },
) {
  const store = createSettingsStore(core);
  let cached: Promise<View> | null = null;
  const invalidate = () => {
    cached = null;
  };
  core.events.subscribe(options.topic, invalidate);

  /** Straight from the database, past the cache (for read-modify-write inside a transaction). */
  const load = async () => options.view((await store.get<Stored>(options.key)) ?? null);

  return {
    load,
    get(): Promise<View> {
      if (!cached) {
        const loading = load();
        cached = loading;
        // A failed read must not stick: the next call tries again.
        loading.catch(() => {
          if (cached === loading) cached = null;
        });
      }
      return cached;
    },
    /** Stores the value; the caches drop on commit (the caller's transaction, when there is one), so a rollback changes nothing. */
    async put(value: Stored): Promise<void> {
      await core.db.transaction(async () => {
        await store.put(options.key, value);
        core.db.afterCommit(invalidate);
        await core.events.publish(options.topic, {});
      });
    },
  };
}
