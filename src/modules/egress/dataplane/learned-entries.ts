/**
 * What Rampart put into the DNS-learned sets and until when, so repeated answers do not cost an nft call each and
 * a re-applied table (which starts with empty sets) gets its still-valid addresses back.
 */
export class LearnedEntries {
  private readonly sets = new Map<string, Map<string, number>>();

  constructor(private readonly now: () => number) {}

  /** Whether ip stays in set for at least `seconds` more (within 10%: a repeated answer needs no refresh). */
  covers(set: string, ip: string, seconds: number): boolean {
    const expires = this.sets.get(set)?.get(ip);
    return expires !== undefined && expires - this.now() >= seconds * 900;
  }

  /** Whole seconds ip has left in set (0 when absent or expired). */
  remaining(set: string, ip: string): number {
    const expires = this.sets.get(set)?.get(ip);
    return expires === undefined ? 0 : Math.max(0, Math.floor((expires - this.now()) / 1000));
  }

  remember(set: string, ip: string, seconds: number): void {
    let entries = this.sets.get(set);
    if (!entries) this.sets.set(set, (entries = new Map()));
    entries.set(ip, this.now() + seconds * 1000);
  }

  /** Entries of the given sets with at least a second left, as seconds remaining; forgets the rest. */
  live(keep: Set<string>): Map<string, Array<{ ip: string; seconds: number }>> {
    const now = this.now();
    const result = new Map<string, Array<{ ip: string; seconds: number }>>();
    for (const [set, entries] of this.sets) {
      if (!keep.has(set)) {
        this.sets.delete(set);
        continue;
      }
      const alive: Array<{ ip: string; seconds: number }> = [];
      for (const [ip, expires] of entries) {
        const seconds = Math.floor((expires - now) / 1000);
        if (seconds >= 1) alive.push({ ip, seconds });
        else entries.delete(ip);
      }
      if (alive.length) result.set(set, alive);
    }
    return result;
  }
}
