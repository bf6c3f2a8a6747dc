import { NFT_FAMILY, NFT_TABLE, type CompiledPolicy, type DenySets, type LearnedBinding } from '../compiler/compiled.types.js';
import { rangeOwners } from '../compiler/source-ranges.js';
import type { ApplyOptions, ApplyOutcome, Dataplane, DeniedTuple, StreamedScript } from './dataplane.types.js';
import { parseScript, scriptChange, type ParsedScript } from './nft-script.js';
import { LearnedEntries } from './learned-entries.js';
import { runNft, streamNft, type NftStream } from '../../../core/dataplane/nft-command.js';

export interface NftDataplaneOptions {
  /** The nft program and any prefix; ['nft'] by default. Tests pass ['ip', 'netns', 'exec', ns, 'nft']. */
  nftCommand?: string[];
  /** Milliseconds clock, for learned-entry expiry. */
  now?: () => number;
}

const TABLE = `${NFT_FAMILY} ${NFT_TABLE}`;

interface LearnRequest {
  set: string;
  ips: string[];
  seconds: number;
  resolve(): void;
  reject(err: Error): void;
}

/** add, delete, add: inserts missing elements and resets the timeout of present ones, in one transaction. */
function learnLines(set: string, elements: Map<string, number>): string[] {
  const keys = [...elements.keys()].join(', ');
  const timed = [...elements].map(([key, seconds]) => `${key} timeout ${seconds}s`).join(', ');
  return [
    `add element ${TABLE} ${set} { ${keys} }`,
    `delete element ${TABLE} ${set} { ${keys} }`,
    `add element ${TABLE} ${set} { ${timed} }`,
  ];
}

/** What a streamed script was given, for apply() to check against the compiled script before it ends the stream. */
interface StreamState {
  nft: NftStream;
  pieces: string[];
  /**
   * The last piece written, not yet passed on: nft sees the script's end (the table block's closing brace, in the
   * tail) only when apply() ends the stream, so an input cut short (a spawner that died) is a script nft refuses.
   */
  held: string | null;
  /** 'open' until apply() takes it or it is aborted. */
  state: 'open' | 'taken' | 'aborted';
}
const streams = new WeakMap<StreamedScript, StreamState>();

/** Whether the pieces, in order, are exactly `text`. */
function spells(pieces: string[], text: string): boolean {
  let at = 0;
  for (const piece of pieces) {
    if (!text.startsWith(piece, at)) return false;
    at += piece.length;
  }
  return at === text.length;
}

/** Items that pass and items that do not. */
function partition<T>(items: T[], pass: (item: T) => boolean): [T[], T[]] {
  const [yes, no]: [T[], T[]] = [[], []];
  for (const item of items) (pass(item) ? yes : no).push(item);
  return [yes, no];
}

/** Generations compiled before learned sets were shared name each rule's own set, holding bare addresses. */
function bindingsOf(compiled: CompiledPolicy): Map<string, LearnedBinding> {
  const bindings = compiled.learned ?? compiled.dns.groups.flatMap((g) => g.rules.flatMap((r) => (r.set ? [{ name: r.set, set: r.set, suffixes: [] }] : [])));
  return new Map(bindings.map((b) => [b.name, b]));
}

interface NftSetJson {
  name: string;
  table: string;
  elem?: Array<{ elem?: { val?: { concat?: Array<string | number> }; counter?: { packets?: number } } }>;
}

interface DenyOwners {
  kind: 'l4' | 'icmp';
  /** The group a source address belongs to (groups share the sets). */
  ownerOf(src: string): DenySets | null;
}

/** Per deny set name, how to tell which group a recorded tuple belongs to. */
function denyOwnersOf(denySets: DenySets[]): Map<string, DenyOwners> {
  const byName = new Map<string, { kind: 'l4' | 'icmp'; owners: DenySets[] }>();
  for (const d of denySets) {
    for (const kind of ['l4', 'icmp'] as const) {
      const entry = byName.get(d[kind]) ?? { kind, owners: [] };
      entry.owners.push(d);
      byName.set(d[kind], entry);
    }
  }
  return new Map([...byName].map(([name, { kind, owners }]) => [name, { kind, ownerOf: rangeOwners(4, owners.map((owner) => ({ owner, ranges: owner.sources }))) }]));
}

function tuplesOf(set: NftSetJson, ownerOf: (src: string) => DenySets | null, kind: 'l4' | 'icmp'): DeniedTuple[] {
  return (set.elem ?? []).flatMap((e) => {
    const key = e.elem?.val?.concat;
    if (!key || key.length !== 4) return [];
    const [src, dst, a, b] = key;
    const owner = ownerOf(String(src));
    if (!owner) return [];
    return [{
      kind,
      group: owner.group,
      policy_id: owner.policy_id,
      audit: owner.audit,
      src_ip: String(src),
      dst_ip: String(dst),
      proto: kind === 'l4' ? Number(a) : 1,
      dst_port: kind === 'l4' ? Number(b) : null,
      icmp_type: kind === 'icmp' ? Number(a) : null,
      icmp_code: kind === 'icmp' ? Number(b) : null,
      packets: e.elem?.counter?.packets ?? 0,
    }];
  });
}

/**
 * The nftables engine: Rampart's one table, changed in place when a generation differs only in chain rules and static
 * set elements and replaced whole otherwise, DNS-learned sets filled as answers pass,
 * deny sets read for findings. Every change goes through one queue, so a learn never lands in a table that an
 * apply in flight is about to replace without it.
 */
export function createNftDataplane(opts: NftDataplaneOptions = {}): Dataplane {
  const command = opts.nftCommand ?? ['nft'];
  const learned = new LearnedEntries(opts.now ?? Date.now);
  let denySets: DenySets[] = [];
  let denyOwners = new Map<string, DenyOwners>();
  let bindings = new Map<string, LearnedBinding>();
  /** Per nft set, the rules' bindings sharing it. */
  let sharing = new Map<string, LearnedBinding[]>();
  let queue: Promise<unknown> = Promise.resolve();
  let pending: LearnRequest[] = [];
  /** The table as the last successful apply left it; null before the first one. */
  let running: ParsedScript | null = null;

  /**
   * Learned addresses as elements of the nft sets, per set. Rules sharing a set and an element share its timeout,
   * so each element gets the longest any of them still needs.
   */
  function learnedElements(entries: Array<{ set: string; ip: string; seconds: number }>): Map<string, Map<string, number>> {
    const out = new Map<string, Map<string, number>>();
    for (const { set, ip, seconds } of entries) {
      const binding = bindings.get(set);
      if (!binding?.set) continue;
      const elements = out.get(binding.set) ?? new Map<string, number>();
      for (const suffix of binding.suffixes.length ? binding.suffixes : ['']) {
        const key = suffix ? `${ip} . ${suffix}` : ip;
        const others = (sharing.get(binding.set) ?? []).filter((b) => b !== binding && (b.suffixes.length ? b.suffixes.includes(suffix) : !suffix));
        const needed = Math.max(seconds, elements.get(key) ?? 0, ...others.map((b) => learned.remaining(b.name, ip)));
        elements.set(key, needed);
      }
      out.set(binding.set, elements);
    }
    return out;
  }

  /** Changes only what differs, when the table keeps its shape; null when it cannot (or the attempt failed). */
  async function applyInPlace(before: ParsedScript, after: ParsedScript): Promise<ApplyOutcome | null> {
    const change = scriptChange(before, after);
    if (!change) return null;
    // Nothing differs (a re-announced generation): the running table already is this one.
    if (change.statements.length) {
      try {
        await runNft(command, ['-f', '-'], `${change.statements.join('\n')}\n`);
      } catch {
        // Atomic, so nothing changed; the table may not be what `running` says (edited by hand): replace it.
        return null;
      }
    }
    return { path: 'incremental', chains: change.chains, sets: change.sets };
  }

  /** Replaces the table: through the nft that has parsed the streamed script, else by sending the whole script. */
  async function replaceTable(compiled: CompiledPolicy, streamed: StreamState | null): Promise<ApplyOutcome> {
    // The new table starts with empty sets: put back what DNS answers allowed and is still valid.
    const live = [...learned.live(new Set(bindings.keys()))].flatMap(([set, entries]) => entries.map((e) => ({ set, ...e })));
    const reseed = [...learnedElements(live)].map(([set, elements]) => `add element ${TABLE} ${set} { ${[...elements].map(([key, s]) => `${key} timeout ${s}s`).join(', ')} }`);
    if (streamed) {
      if (streamed.held !== null) streamed.nft.write(streamed.held);
      streamed.nft.write(`\n${reseed.join('\n')}\n`);
      await streamed.nft.end();
      return { path: 'full', chains: 0, sets: 0, streamed: true };
    }
    await runNft(command, ['-f', '-'], `${compiled.nft}\n${reseed.join('\n')}\n`);
    return { path: 'full', chains: 0, sets: 0 };
  }

  /** The streamed script, when it is exactly the compiled one and still open; aborted otherwise. */
  function takeStream(script: StreamedScript | undefined, compiled: CompiledPolicy): StreamState | null {
    const stream = script && streams.get(script);
    if (!stream || stream.state !== 'open') return null;
    if (!spells(stream.pieces, compiled.nft)) {
      script!.abort();
      return null;
    }
    stream.state = 'taken';
    return stream;
  }

  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => {});
    return run;
  };

  async function writeLearned(batch: LearnRequest[]): Promise<void> {
    const entries = batch.flatMap((r) => r.ips.map((ip) => ({ set: r.set, ip, seconds: r.seconds })));
    const script = [...learnedElements(entries)].flatMap(([set, elements]) => learnLines(set, elements));
    if (script.length) await runNft(command, ['-f', '-'], `${script.join('\n')}\n`);
    for (const e of entries) if (e.seconds > learned.remaining(e.set, e.ip)) learned.remember(e.set, e.ip, e.seconds);
  }

  /** One nft call for every learn queued meanwhile; when it fails, each set is retried alone so one bad set fails only its callers. */
  async function flushLearned(): Promise<void> {
    // Requests queued while the previous call wrote the same addresses are settled by it: no second nft call.
    const [batch, settled] = partition(pending, (r) => r.ips.some((ip) => !learned.covers(r.set, ip, r.seconds)));
    pending = [];
    settled.forEach((r) => r.resolve());
    if (!batch.length) return;
    try {
      await writeLearned(batch);
      batch.forEach((r) => r.resolve());
    } catch {
      for (const set of new Set(batch.map((r) => r.set))) {
        const mine = batch.filter((r) => r.set === set);
        await writeLearned(mine).then(() => mine.forEach((r) => r.resolve()), (err: Error) => mine.forEach((r) => r.reject(err)));
      }
    }
  }

  return {
    apply: (compiled: CompiledPolicy, opts: ApplyOptions = {}) =>
      exclusive(async (): Promise<ApplyOutcome> => {
        const streamed = takeStream(opts.streamed, compiled);
        const [oldBindings, oldSharing] = [bindings, sharing];
        bindings = bindingsOf(compiled);
        sharing = new Map();
        for (const b of bindings.values()) if (b.set) sharing.set(b.set, [...(sharing.get(b.set) ?? []), b]);
        try {
          let next = running && parseScript(compiled.nft, running);
          let outcome = running && next && (await applyInPlace(running, next));
          if (outcome) streamed?.nft.abort();
          else {
            await opts.beforeReplace?.();
            const replacing = replaceTable(compiled, streamed);
            // Nothing to diff against: the parse the next in-place change needs runs while nft commits.
            next ??= parseScript(compiled.nft);
            outcome = await replacing;
          }
          running = next;
          // The same deny sets (a generation that kept its frame hands back the same parsed part): owners unchanged.
          if (compiled.denySets !== denySets) denyOwners = denyOwnersOf(compiled.denySets);
          denySets = compiled.denySets;
          return outcome;
        } catch (err) {
          streamed?.nft.abort(); // not ended yet (beforeReplace failed): it must never be
          [bindings, sharing] = [oldBindings, oldSharing]; // the old table stays, and with it where addresses go
          throw err;
        }
      }),

    streamReplace() {
      const stream: StreamState = { nft: streamNft(command), pieces: [], held: null, state: 'open' };
      const script: StreamedScript = {
        write(text) {
          if (stream.state !== 'open') return true; // aborted: the rest of the compile goes nowhere
          stream.pieces.push(text);
          const previous = stream.held;
          stream.held = text;
          return previous === null || stream.nft.write(previous);
        },
        drained: () => stream.nft.drained(),
        abort() {
          if (stream.state !== 'open') return;
          stream.state = 'aborted';
          stream.nft.abort();
        },
      };
      streams.set(script, stream);
      return script;
    },

    knows(set, ips, timeoutSeconds) {
      const seconds = Math.max(1, Math.ceil(timeoutSeconds));
      return bindings.has(set) && ips.every((ip) => learned.covers(set, ip, seconds));
    },

    learn(set, ips, timeoutSeconds) {
      const seconds = Math.max(1, Math.ceil(timeoutSeconds));
      const fresh = [...new Set(ips)].filter((ip) => !learned.covers(set, ip, seconds));
      if (!fresh.length) return Promise.resolve();
      if (!bindings.has(set)) return Promise.reject(new Error(`no learned set ${set} in the running table`));
      return new Promise<void>((resolve, reject) => {
        pending.push({ set, ips: fresh, seconds, resolve, reject });
        if (pending.length === 1) void exclusive(flushLearned);
      });
    },

    async readDenied() {
      // Each record set by name: listing all sets would make nft print every element of every set in the table.
      const tuples: DeniedTuple[] = [];
      for (const [name, known] of denyOwners) {
        const json = JSON.parse(await runNft(command, ['-j', '-n', 'list', 'set', NFT_FAMILY, NFT_TABLE, name])) as { nftables: Array<{ set?: NftSetJson }> };
        for (const { set } of json.nftables) if (set?.name === name) tuples.push(...tuplesOf(set, known.ownerOf, known.kind));
      }
      return tuples;
    },

    ruleset: () => runNft(command, ['list', 'table', NFT_FAMILY, NFT_TABLE]),
  };
}
