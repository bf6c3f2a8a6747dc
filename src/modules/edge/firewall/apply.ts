/**
 * Applying a compiled ruleset with nft. The first apply (and any whose chains changed shape) replaces both tables
 * in one `nft -f` transaction. When only set contents or rule texts changed, only those are sent, still in one
 * transaction: `flush set` + `add element` for a changed set, `replace rule ... handle N` for a changed rule (the
 * handles are read back from the kernel after a full apply, by the key in each rule's comment). A failed script
 * leaves the running ruleset untouched and the applier's memory of it unchanged.
 */
import { runNft } from '../../../core/dataplane/nft-command.js';
import { FILTER_TABLE, fullScript, natTableText, NAT_TABLE, type Compiled, type CompiledSet } from './compile.js';

export interface ApplyOutcome {
  mode: 'full' | 'incremental' | 'unchanged';
  /** Statements sent (incremental) or script length in lines (full). */
  statements: number;
}

const shape = (c: Compiled) =>
  JSON.stringify([c.sets.map((s) => [s.name, s.type]), c.chains.map((ch) => [ch.name, ch.head, ch.tail, ch.rules.map((r) => r.key)])]);

function elementsText(s: CompiledSet): string {
  return `add element ${FILTER_TABLE} ${s.name} { ${s.elements.join(', ')} }`;
}

export class NftApplier {
  private last: Compiled | null = null;
  private lastShape = '';
  private handles = new Map<string, number>();

  /** `nft` by default; tests and the bench may pass a prefix (`ip netns exec NS nft`). */
  constructor(private readonly nft: string[] = ['nft']) {}

  /** Checks a whole script without committing anything (`nft -c -f`). */
  async check(c: Compiled): Promise<void> {
    await runNft(this.nft, ['-c', '-f', '-'], fullScript(c));
  }

  /** Forgets what runs, so the next apply replaces the tables whole (after a restore, or a failure). */
  reset(): void {
    this.last = null;
    this.lastShape = '';
    this.handles.clear();
  }

  async apply(c: Compiled): Promise<ApplyOutcome> {
    const s = shape(c);
    if (this.last && s === this.lastShape) {
      const statements = this.diff(this.last, c);
      if (statements === null) return this.full(c, s);
      if (statements.length === 0) return { mode: 'unchanged', statements: 0 };
      try {
        await runNft(this.nft, ['-f', '-'], `${statements.join('\n')}\n`);
      } catch (err) {
        // A handle no longer there (someone flushed the table): replace it whole.
        if (/handle|No such file/i.test((err as Error).message)) return this.full(c, s);
        throw err;
      }
      this.last = c;
      return { mode: 'incremental', statements: statements.length };
    }
    return this.full(c, s);
  }

  private async full(c: Compiled, s: string): Promise<ApplyOutcome> {
    const script = fullScript(c);
    await runNft(this.nft, ['-f', '-'], script);
    this.last = c;
    this.lastShape = s;
    await this.readHandles();
    return { mode: 'full', statements: script.split('\n').length };
  }

  /** Statements turning `from` into `to` in place, or null when something cannot be changed in place. */
  private diff(from: Compiled, to: Compiled): string[] | null {
    const out: string[] = [];
    to.sets.forEach((set, i) => {
      const before = from.sets[i].elements;
      if (before.length === set.elements.length && before.every((e, j) => e === set.elements[j])) return;
      out.push(`flush set ${FILTER_TABLE} ${set.name}`);
      if (set.elements.length) out.push(elementsText(set));
    });
    for (let ci = 0; ci < to.chains.length; ci++) {
      const chain = to.chains[ci];
      const previous = from.chains[ci].rules;
      for (let ri = 0; ri < chain.rules.length; ri++) {
        const rule = chain.rules[ri];
        if (previous[ri].text === rule.text) continue;
        const handle = this.handles.get(rule.key);
        if (handle === undefined) return null;
        out.push(`replace rule ${FILTER_TABLE} ${chain.name} handle ${handle} ${rule.text}`);
      }
    }
    if (from.nat.join('\n') !== to.nat.join('\n')) {
      out.push(`add table ${NAT_TABLE}`, `delete table ${NAT_TABLE}`, natTableText(to));
    }
    return out;
  }

  private async readHandles(): Promise<void> {
    this.handles.clear();
    // The chains holding rules only: listing the table would print every set element too.
    const chains = (this.last?.chains ?? []).filter((c) => c.rules.length).map((c) => c.name);
    const texts = await Promise.all(chains.map((chain) => runNft(this.nft, ['-a', 'list', 'chain', ...FILTER_TABLE.split(' '), chain])));
    const text = texts.join('\n');
    const re = /comment "([^" ]+)[^"]*" # handle (\d+)/g;
    for (let m = re.exec(text); m; m = re.exec(text)) this.handles.set(m[1], Number(m[2]));
  }
}
