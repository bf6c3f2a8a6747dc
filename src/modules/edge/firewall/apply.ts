/**
 * Applying a compiled ruleset with nft. The first apply (and any that changes the tables' shape: which sets and
 * chains exist, the base chains' fixed rules) replaces both tables in one `nft -f` transaction. When only set
 * contents or rules changed, only those are sent, still in one transaction: `flush set` + `add element` for a
 * changed set, `flush chain` + `add rule` for each changed block of rules (compile.ts), the NAT table redefined if
 * it changed. Nothing needs rule handles, so nft never reads the ruleset back. A failed script leaves the running
 * ruleset untouched and the applier's memory of it unchanged.
 */
import { runNft } from '../../../core/dataplane/nft-command.js';
import { FILTER_TABLE, fullScript, natTableText, NAT_TABLE, type Compiled, type CompiledSet } from './compile.js';

export interface ApplyOutcome {
  mode: 'full' | 'incremental' | 'unchanged';
  /** Statements sent (incremental) or script length in lines (full). */
  statements: number;
}

const shape = (c: Compiled) => JSON.stringify([c.sets.map((s) => [s.name, s.type]), c.chains.map((ch) => [ch.name, ch.head, ch.tail])]);

function elementsText(s: CompiledSet): string {
  return `add element ${FILTER_TABLE} ${s.name} { ${s.elements.join(', ')} }`;
}

export class NftApplier {
  private last: Compiled | null = null;
  private lastShape = '';

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
        // A chain or set no longer there (someone deleted the table): replace it whole.
        if (/No such file/i.test((err as Error).message)) return this.full(c, s);
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
    to.chains.forEach((chain, ci) => {
      const before = from.chains[ci].rules;
      if (before.length === chain.rules.length && before.every((r, j) => r.text === chain.rules[j].text)) return;
      out.push(`flush chain ${FILTER_TABLE} ${chain.name}`, ...chain.rules.map((r) => `add rule ${FILTER_TABLE} ${chain.name} ${r.text}`));
    });
    if (from.nat.join('\n') !== to.nat.join('\n')) {
      out.push(`add table ${NAT_TABLE}`, `delete table ${NAT_TABLE}`, natTableText(to));
    }
    return out;
  }
}
