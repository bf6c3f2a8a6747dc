import type { EffectiveGroup, EffectivePolicy } from '../policy/policy.types.js';
import type { CompiledGroup, CompiledParts, CompiledPolicy, DenySets, DnsGroup } from './compiled.types.js';
import { normalizeNetworks } from './cidr.js';
import { CompileCache, groupSlot } from './compile-cache.js';
import { buildGroup, claimSources, type GroupFrame, type LearnedSet } from './program.js';
import { joinScript, renderFrame, renderGroup, scriptStart, TABLE_HEAD } from './render-nft.js';
import { translateRustRegex, type JsRegex } from '../policy/rust-regex.js';

/** dns_hostname is a Rust regex (Neuwerk's engine), matched case-insensitively; the model has checked it translates. */
function jsHostnameRegex(pattern: string): JsRegex {
  const translated = translateRustRegex(pattern, true);
  if (!translated.ok) throw new Error(translated.message);
  return translated.regex;
}

/**
 * The DNS proxy's view of one group: its sources and, in order, the rules that name a host. `learnedSets` are the
 * group's allow rules on a host, in order, as buildGroup named their sets.
 */
function dnsGroupOf(group: EffectiveGroup, learnedSets: LearnedSet[]): DnsGroup {
  let allowed = 0;
  const rules = group.rules.flatMap((rule) => {
    if (!rule.match.dns_hostname) return [];
    const hostname = jsHostnameRegex(rule.match.dns_hostname);
    return [{
      id: rule.id,
      action: rule.action,
      mode: rule.mode ?? group.mode,
      hostname: hostname.source,
      flags: hostname.flags,
      set: rule.action === 'allow' ? learnedSets[allowed++].name : null,
    }];
  });
  const sources = [...normalizeNetworks(group.sources, 4), ...normalizeNetworks(group.sources, 6)];
  return { id: group.id, policy_id: group.policy_id, mode: group.mode, sources, rules };
}

function denySetsOf(groups: GroupFrame[]): DenySets[] {
  return groups.filter((g) => g.claimed4.length).flatMap((g) => [
    ...(g.deny ? [{ group: g.id, policy_id: g.policy_id, sources: g.claimed4, l4: g.deny.l4, icmp: g.deny.icmp, audit: false }] : []),
    ...(g.audit ? [{ group: g.id, policy_id: g.policy_id, sources: g.claimed4, l4: g.audit.l4, icmp: g.audit.icmp, audit: true }] : []),
  ]);
}

/**
 * Everything one group compiles to on its own: its packet program (before claims; its rules left out, as they are in
 * the nft text and kept compilations of 65,536 rules are a GC cost), nft text, learned sets, DNS view.
 */
export interface GroupCompilation {
  program: GroupFrame;
  part: CompiledGroup;
}

function compileGroup(group: EffectiveGroup): GroupCompilation {
  const learnedSets: LearnedSet[] = [];
  const program = buildGroup(group, learnedSets);
  const { nft, learned } = renderGroup(program, learnedSets);
  const { rules: _rules, ...frame } = program;
  return { program: frame, part: { effective: group, nft, learned, dns: dnsGroupOf(group, learnedSets) } };
}

/** The process's cache of compiled groups: the policy service compiles one policy after another. */
export const sharedCompileCache = new CompileCache<GroupCompilation>();

/**
 * Pure but for the cache: an effective policy as its compiled parts. A group compiles on its own (its chain, sets,
 * learned bindings and DNS view depend on it alone), so a group whose content is unchanged since the last compile is
 * taken from the cache; only the frame (claims, source maps, record sets) is computed over all groups.
 */
export function compileParts(effective: EffectivePolicy, cache: CompileCache<GroupCompilation> = sharedCompileCache): CompiledParts {
  const compiled = cache.generation((get) => effective.groups.map((g) => get(groupSlot(g), g, () => compileGroup(g))));
  return partsOf(effective, compiled);
}

/** The parts of compiled groups: the frame (claims, source maps, record sets) is computed over all of them. */
function partsOf(effective: EffectivePolicy, compiled: GroupCompilation[]): CompiledParts {
  const programs = claimSources(compiled.map((c) => c.program));
  const frame = renderFrame(effective.default_policy, programs);
  return {
    generation: effective.generation,
    default_policy: effective.default_policy,
    frame: { ...frame, denySets: denySetsOf(programs) },
    groups: compiled.map((c) => c.part),
  };
}

/**
 * Groups compiled anew before a write's compile streams its script into nft: a one-rule change (one group anew) is
 * applied in place from the whole script; a new or reshaped policy is a replacement that nft can parse meanwhile.
 */
export const STREAM_AFTER_GROUPS = 64;

/** Where a compile writes the nft script while it runs (the data plane's streamed replacement of the table). */
export interface ScriptSink {
  /** False when the reader is behind: the compile waits for drained() before it goes on. */
  write(text: string): boolean;
  drained(): Promise<void>;
}

export interface Streaming {
  /**
   * Groups compiled anew before the script is streamed: a change smaller than that is most likely applied in place,
   * which needs the whole script first, and a stream would make nft parse the whole table for nothing.
   */
  after: number;
  /** Called once, when `after` groups were compiled anew; null: not streamed after all. */
  open(): ScriptSink | null;
}

/**
 * compileParts, writing the script (exactly assembleCompiled's `nft`, joinScript's text) into a sink while it
 * compiles once `streaming.after` groups were compiled anew: nft parses the table while the rest is compiled. The
 * sink gets the script's start and the groups so far at once, each next group as it is compiled, the tail last; a
 * compile that throws leaves it unfinished (the caller aborts it).
 */
export async function compilePartsStreamed(effective: EffectivePolicy, streaming: Streaming, cache: CompileCache<GroupCompilation> = sharedCompileCache): Promise<CompiledParts> {
  const session = cache.begin();
  const compiled: GroupCompilation[] = [];
  let sink: ScriptSink | null = null;
  let fresh = 0;
  let asked = false;
  for (const g of effective.groups) {
    const c = session.get(groupSlot(g), g, () => (fresh++, compileGroup(g)));
    compiled.push(c);
    if (sink) {
      if (c.part.nft && !sink.write(`\n${c.part.nft}`)) await sink.drained();
    } else if (!asked && fresh >= Math.max(1, streaming.after)) {
      asked = true;
      sink = streaming.open();
      sink?.write(scriptStart(effective.generation, TABLE_HEAD));
      for (const done of compiled) if (done.part.nft) sink?.write(`\n${done.part.nft}`);
    }
  }
  session.finish();
  const parts = partsOf(effective, compiled);
  sink?.write(`\n${parts.frame.tail}`);
  return parts;
}

/** The parts as the data plane and the DNS proxy read them: one nft script, the bindings, the DNS policy. */
export function assembleCompiled(parts: CompiledParts): CompiledPolicy {
  return {
    generation: parts.generation,
    nft: joinScript(parts.generation, parts.frame, parts.groups.map((g) => g.nft)),
    learned: parts.groups.flatMap((g) => g.learned),
    dns: { generation: parts.generation, default_policy: parts.default_policy, groups: parts.groups.map((g) => g.dns) },
    denySets: parts.frame.denySets,
  };
}

/** The effective policy the parts were compiled from. */
export const effectiveOf = (parts: CompiledParts): EffectivePolicy =>
  ({ generation: parts.generation, default_policy: parts.default_policy, groups: parts.groups.map((g) => g.effective) });

/**
 * Pure: an effective policy as one nft script (Rampart's whole table), the DNS policy and the names of the sets
 * recording denied tuples. Groups without sources claim nothing and get no chain.
 */
export function compilePolicy(effective: EffectivePolicy, cache?: CompileCache<GroupCompilation>): CompiledPolicy {
  return assembleCompiled(compileParts(effective, cache));
}
