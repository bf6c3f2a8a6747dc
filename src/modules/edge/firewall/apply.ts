/**
 * Applying a compiled ruleset with nft. The first apply (and any the filter table cannot take in place: a set's
 * declaration or a base chain's hook changed) replaces both tables in one `nft -f` transaction. Otherwise only what
 * changed is sent, still in one transaction, by the core's in-place diff (core/dataplane/nft-in-place.ts): the
 * elements removed from and added to a changed alias's set, `flush chain` + `add rule` for each changed block of
 * rules, sets and blocks added or removed, the NAT table redefined if it changed (it is small). Nothing needs rule
 * handles, so nft never reads the ruleset back. A failed script leaves the running ruleset untouched and the
 * applier's memory of it unchanged.
 */
import { runNft } from '../../../core/dataplane/nft-command.js';
import { inPlaceChange, type NftObject } from '../../../core/dataplane/nft-in-place.js';
import { FILTER_TABLE, fullScript, natTableText, NAT_TABLE, setDeclaration, type Compiled } from './compile.js';

export interface ApplyOutcome {
  mode: 'full' | 'incremental' | 'unchanged';
  /** Statements sent (incremental) or script length in lines (full). */
  statements: number;
  /** Incremental: chains refilled, added or removed, and sets changed, added or removed. */
  chains?: number;
  sets?: number;
}

/** The filter table as the core diff sees it; the same compiled strings, so unchanged ones compare by reference. */
function objectsOf(c: Compiled): NftObject[] {
  const sets: NftObject[] = c.sets.map((s) => ({ kind: 'set', name: s.name, declaration: setDeclaration(s), elements: s.elements }));
  const chains: NftObject[] = c.chains.map((ch) => {
    const hook = ch.head[0]?.startsWith('type ') ? ch.head[0] : null;
    const head = hook ? ch.head.slice(1) : ch.head;
    // A block is all rules: hand over its compiled texts as they are (no copy, so an unchanged block is one compare).
    const rules = head.length === 0 && ch.tail.length === 0 ? ch.rules.map((r) => r.text) : [...head, ...ch.rules.map((r) => r.text), ...ch.tail];
    return { kind: 'chain', name: ch.name, hook, rules };
  });
  return [...sets, ...chains];
}

export class NftApplier {
  private last: { objects: NftObject[]; nat: string } | null = null;

  /** `nft` by default; tests and the bench may pass a prefix (`ip netns exec NS nft`). */
  constructor(private readonly nft: string[] = ['nft']) {}

  /** Checks a whole script without committing anything (`nft -c -f`). */
  async check(c: Compiled): Promise<void> {
    await runNft(this.nft, ['-c', '-f', '-'], fullScript(c));
  }

  /** Forgets what runs, so the next apply replaces the tables whole (after a restore, or a failure). */
  reset(): void {
    this.last = null;
  }

  async apply(c: Compiled): Promise<ApplyOutcome> {
    const next = { objects: objectsOf(c), nat: c.nat.join('\n') };
    const change = this.last && inPlaceChange(FILTER_TABLE, this.last.objects, next.objects);
    if (!change) return this.full(c, next);
    const statements = change.statements;
    if (this.last!.nat !== next.nat) statements.push(`add table ${NAT_TABLE}`, `delete table ${NAT_TABLE}`, natTableText(c));
    if (statements.length === 0) return { mode: 'unchanged', statements: 0 };
    try {
      await runNft(this.nft, ['-f', '-'], `${statements.join('\n')}\n`);
    } catch (err) {
      // A chain or set no longer there (someone deleted the table): replace it whole.
      if (/No such file/i.test((err as Error).message)) return this.full(c, next);
      throw err;
    }
    this.last = next;
    return { mode: 'incremental', statements: statements.length, chains: change.chains, sets: change.sets };
  }

  private async full(c: Compiled, next: { objects: NftObject[]; nat: string }): Promise<ApplyOutcome> {
    const script = fullScript(c);
    await runNft(this.nft, ['-f', '-'], script);
    this.last = next;
    return { mode: 'full', statements: script.split('\n').length };
  }
}
