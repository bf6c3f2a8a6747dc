import type { EffectivePolicy } from '../policy/policy.types.js';
import type { CompiledPolicy, DenySets, DnsPolicy } from './compiled.types.js';
import { normalizeNetworks } from './cidr.js';
import { buildProgram, learnedSetName, type Program } from './program.js';
import { renderNft } from './render-nft.js';
import { translateRustRegex, type JsRegex } from '../policy/rust-regex.js';

/** dns_hostname is a Rust regex (Neuwerk's engine), matched case-insensitively; the model has checked it translates. */
function jsHostnameRegex(pattern: string): JsRegex {
  const translated = translateRustRegex(pattern, true);
  if (!translated.ok) throw new Error(translated.message);
  return translated.regex;
}

/** The DNS proxy's view: per group its sources and, in order, the rules that name a host. */
function dnsPolicyOf(effective: EffectivePolicy): DnsPolicy {
  return {
    generation: effective.generation,
    default_policy: effective.default_policy,
    groups: effective.groups.map((group) => {
      const seen = new Map<string, number>();
      const rules = group.rules.flatMap((rule) => {
        const occurrence = seen.get(rule.id) ?? 0;
        seen.set(rule.id, occurrence + 1);
        if (!rule.match.dns_hostname) return [];
        const hostname = jsHostnameRegex(rule.match.dns_hostname);
        return [{
          id: rule.id,
          action: rule.action,
          mode: rule.mode ?? group.mode,
          hostname: hostname.source,
          flags: hostname.flags,
          set: rule.action === 'allow' ? learnedSetName(group, rule.id, occurrence) : null,
        }];
      });
      const sources = [...normalizeNetworks(group.sources, 4), ...normalizeNetworks(group.sources, 6)];
      return { id: group.id, policy_id: group.policy_id, mode: group.mode, sources, rules };
    }),
  };
}

function denySetsOf(program: Program): DenySets[] {
  return program.groups.flatMap((g) => [
    ...(g.deny ? [{ group: g.id, policy_id: g.policy_id, sources: g.claimed4, l4: g.deny.l4, icmp: g.deny.icmp, audit: false }] : []),
    ...(g.audit ? [{ group: g.id, policy_id: g.policy_id, sources: g.claimed4, l4: g.audit.l4, icmp: g.audit.icmp, audit: true }] : []),
  ]);
}

/**
 * Pure: an effective policy as one nft script (Rampart's whole table), the DNS policy and the names of the sets
 * recording denied tuples. Groups without sources claim nothing and get no chain.
 */
export function compilePolicy(effective: EffectivePolicy): CompiledPolicy {
  const program = buildProgram(effective);
  const { nft, learned } = renderNft(program);
  return {
    generation: effective.generation,
    nft,
    learned,
    dns: dnsPolicyOf(effective),
    denySets: denySetsOf({ ...program, groups: program.groups.filter((g) => g.claimed4.length) }),
  };
}
