/**
 * Permission patterns (resource:action, resource:* and *) as sets: whether one set covers a pattern, and the
 * intersection of two, wildcards allowed on both sides. An API key acts with its scope intersected with what its
 * creator may do now.
 */

/** Whether grants cover every permission a pattern stands for (so `host:*` needs `host:*` or `*`). */
export function coversPattern(grants: ReadonlySet<string>, pattern: string): boolean {
  if (grants.has('*') || grants.has(pattern)) return true;
  if (pattern === '*') return false;
  return grants.has(`${resourceOf(pattern)}:*`);
}

/** The patterns that grant exactly what both sets grant. */
export function intersectGrants(a: Iterable<string>, b: Iterable<string>): Set<string> {
  const bs = [...b];
  const meets = new Set<string>();
  for (const x of a) {
    for (const y of bs) {
      const m = meet(x, y);
      if (m) meets.add(m);
    }
  }
  // Drop what a broader pattern in the result already grants (host:read beside host:*).
  return new Set([...meets].filter((p) => ![...meets].some((q) => q !== p && coversPattern(new Set([q]), p))));
}

/** The narrower of two patterns when one contains the other; null when they grant nothing in common. */
function meet(x: string, y: string): string | null {
  if (x === '*') return y;
  if (y === '*') return x;
  if (resourceOf(x) !== resourceOf(y)) return null;
  if (x.endsWith(':*')) return y;
  if (y.endsWith(':*')) return x;
  return x === y ? x : null;
}

function resourceOf(pattern: string): string {
  const colon = pattern.indexOf(':');
  return colon < 0 ? pattern : pattern.slice(0, colon);
}
