import type { EffectiveGroup } from '../policy/policy.types.js';

/** Where a group's previous compilation is looked for: its policy and id (its content is then compared). */
export const groupSlot = (group: EffectiveGroup): string => JSON.stringify([group.policy_id, group.id]);

/**
 * Structural equality of JSON values (key order ignored): twice as fast as hashing their serialisation. The same
 * object compares equal at once, so values reused from an earlier parse or compile cost nothing; objects are walked
 * without allocating key lists (a large policy has a million values).
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let keys = 0;
  for (const key in x) {
    if (!Object.hasOwn(x, key)) continue;
    const value = y[key];
    if ((value === undefined && !Object.hasOwn(y, key)) || !sameJson(x[key], value)) return false;
    keys++;
  }
  for (const key in y) if (Object.hasOwn(y, key) && --keys < 0) return false;
  return keys === 0;
}

/**
 * Compiled groups by content: a group whose content equals what it was at the last compile reuses that compilation
 * (a group's compiled part depends on the group alone). Holds what the last compile used and nothing else, so it is
 * bounded by the size of one policy and a change recompiles only the groups it touches.
 */
export class CompileCache<T> {
  private entries = new Map<string, { input: unknown; value: T }>();
  hits = 0;
  misses = 0;

  /** Runs one compile: `get` returns the cached value for an equal input or makes it; afterwards only what this compile used is kept. */
  generation<R>(compile: (get: (slot: string, input: unknown, make: () => T) => T) => R): R {
    const session = this.begin();
    const result = compile(session.get);
    session.finish();
    return result;
  }

  /** The same for a compile that awaits between its lookups: finish() keeps what it used (a compile that throws never calls it). */
  begin(): { get: (slot: string, input: unknown, make: () => T) => T; finish: () => void } {
    const used = new Map<string, { input: unknown; value: T }>();
    const get = (slot: string, input: unknown, make: () => T): T => {
      const cached = used.get(slot) ?? this.entries.get(slot);
      if (cached && sameJson(cached.input, input)) {
        this.hits++;
        used.set(slot, cached);
        return cached.value;
      }
      this.misses++;
      const value = make();
      used.set(slot, { input, value });
      return value;
    };
    return { get, finish: () => void (this.entries = used) };
  }

  clear(): void {
    this.entries = new Map();
  }
}
