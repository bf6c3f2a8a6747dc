import { createHash } from 'node:crypto';
import type { EffectiveGroup } from '../policy/policy.types.js';

/** A group's cache key: a hash of everything it compiles from (the group is all its compiled part depends on). */
export const groupKey = (group: EffectiveGroup): string => createHash('sha256').update(JSON.stringify(group)).digest('base64url');

/**
 * Compiled groups by content hash, holding what the last compile used (and nothing else), so it is bounded by the
 * size of one policy and a change recompiles only the groups it touches.
 */
export class CompileCache<T> {
  private entries = new Map<string, T>();
  hits = 0;
  misses = 0;

  /** Runs one compile: `get` returns the cached value or makes it; afterwards only what this compile used is kept. */
  generation<R>(compile: (get: (key: string, make: () => T) => T) => R): R {
    const used = new Map<string, T>();
    const result = compile((key, make) => {
      let value = used.get(key) ?? this.entries.get(key);
      if (value === undefined) {
        value = make();
        this.misses++;
      } else this.hits++;
      used.set(key, value);
      return value;
    });
    this.entries = used;
    return result;
  }

  clear(): void {
    this.entries = new Map();
  }
}
