/**
 * In-place changes to one nftables table, shared by the data planes: given the objects the table holds now and the
 * objects it should hold, the statements of one `nft -f` transaction that get there without replacing the table.
 * Sets change by the elements removed and added (never recreated, so a large set is not sent again for one entry);
 * a new set is declared with its elements in one statement (a separate `add element` makes nft read the elements of
 * every set in the table first, a quarter of a second for a table of thousands of sets); chains are refilled
 * (`flush chain` + `add rule`), added or removed. Nothing needs rule handles, so nft never reads the ruleset back.
 * When something cannot change in place (a set's declaration, a base chain's hook or policy, a base chain added or
 * removed, a stateful set added or removed) the answer is null and the caller replaces the table.
 */

export interface NftSetObject {
  kind: 'set';
  name: string;
  /** 'map' for a map (its elements are `key : value`); a set when absent. */
  keyword?: 'set' | 'map';
  /** The declaration without elements, each part ending in ';': "type ipv4_addr; flags interval;". */
  declaration: string;
  /** Element texts, canonical (the same element always has the same text), without overlaps. */
  elements: readonly string[];
  /**
   * Filled at run time with what only the caller can put back (learned addresses, recorded tuples): adding or
   * removing it takes a replacement of the table, so the caller restores what it held.
   */
  stateful?: boolean;
}

export interface NftChainObject {
  kind: 'chain';
  name: string;
  /** A base chain's "type filter hook input priority filter; policy drop;"; null for a regular chain. */
  hook: string | null;
  rules: readonly string[];
}

export type NftObject = NftSetObject | NftChainObject;

export interface InPlaceChange {
  statements: string[];
  /** Chains refilled, added or removed. */
  chains: number;
  /** Sets whose elements changed, added or removed. */
  sets: number;
}

/** Compares by reference first: a compiler that caches hands back the very same arrays and strings when unchanged. */
function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const key = (o: NftObject) => `${o.kind} ${o.name}`;

/** Elements in batches: one statement of 100,000 elements is fine for nft, but keeps its error messages readable. */
function elementStatements(verb: 'add' | 'delete', table: string, set: string, elements: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < elements.length; i += 4096) out.push(`${verb} element ${table} ${set} { ${elements.slice(i, i + 4096).join(', ')} }`);
  return out;
}

/** A new set, its elements in the same statement. */
function setStatement(table: string, s: NftSetObject): string {
  const elements = s.elements.length ? ` elements = { ${s.elements.join(', ')} }` : '';
  return `add ${s.keyword ?? 'set'} ${table} ${s.name} { ${s.declaration}${elements} }`;
}

function elementDelta(table: string, before: NftSetObject, after: NftSetObject) {
  const old = new Set(before.elements);
  const next = new Set(after.elements);
  return {
    removed: elementStatements('delete', table, after.name, before.elements.filter((e) => !next.has(e))),
    added: elementStatements('add', table, after.name, after.elements.filter((e) => !old.has(e))),
  };
}

const refill = (table: string, c: NftChainObject) => [`flush chain ${table} ${c.name}`, ...c.rules.map((r) => `add rule ${table} ${c.name} ${r}`)];

/**
 * The statements turning `before` into `after` in place, in an order nft accepts in one transaction: new sets and
 * chains first (rules may name them), then elements removed and added, chains refilled, and last the chains and
 * sets no longer used (their users are gone by then). Empty statements: nothing differs.
 */
export function inPlaceChange(table: string, before: readonly NftObject[], after: readonly NftObject[]): InPlaceChange | null {
  const old = new Map(before.map((o) => [key(o), o]));
  const next = new Set(after.map(key));
  const s = { addSets: [] as string[], addChains: [] as string[], removed: [] as string[], added: [] as string[], rules: [] as string[], dropChains: [] as string[], dropSets: [] as string[] };
  let chains = 0;
  let sets = 0;
  for (const a of after) {
    const b = old.get(key(a));
    if (a.kind === 'set') {
      if (!b) {
        if (a.stateful) return null;
        s.addSets.push(setStatement(table, a));
        sets++;
        continue;
      }
      const was = b as NftSetObject;
      if (was.declaration !== a.declaration || was.keyword !== a.keyword) return null;
      if (sameList(was.elements, a.elements)) continue;
      const delta = elementDelta(table, was, a);
      s.removed.push(...delta.removed);
      s.added.push(...delta.added);
      sets++;
      continue;
    }
    if (!b) {
      if (a.hook) return null;
      s.addChains.push(`add chain ${table} ${a.name}`);
      s.rules.push(...a.rules.map((r) => `add rule ${table} ${a.name} ${r}`));
      chains++;
      continue;
    }
    const was = b as NftChainObject;
    if (was.hook !== a.hook) return null;
    if (sameList(was.rules, a.rules)) continue;
    s.rules.push(...refill(table, a));
    chains++;
  }
  for (const b of before) {
    if (next.has(key(b))) continue;
    if (b.kind === 'set') {
      if (b.stateful) return null;
      s.dropSets.push(`delete ${b.keyword ?? 'set'} ${table} ${b.name}`);
    } else if (b.hook) return null;
    else s.dropChains.push(`flush chain ${table} ${b.name}`, `delete chain ${table} ${b.name}`);
    if (b.kind === 'set') sets++;
    else chains++;
  }
  return { statements: [...s.addSets, ...s.addChains, ...s.removed, ...s.added, ...s.rules, ...s.dropChains, ...s.dropSets], chains, sets };
}
