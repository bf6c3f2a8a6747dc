import { formatCidr, parseCidr } from './ip.js';
import { protoKey } from './policy.model.js';
import type { Action, EffectiveGroup, EffectivePolicy, KubernetesSource, PolicyRecord, Rule, SourceGroup } from './policy.types.js';

/**
 * How several policy records become the one EffectivePolicy the gateway enforces. Neuwerk activates one record at
 * a time; Rampart merges every active record instead, so teams can own separate records (docs/egress.md, Policies):
 *
 * - Records in mode enforce or audit are active; disabled records are stored only.
 * - Active records merge in creation order. An audit record makes all of its groups and rules audit (denies are
 *   recorded, not enforced), whatever they say themselves.
 * - Group ids are unique across active records (a write that would clash is refused, see findGroupClash), so
 *   findings and nft chains name one group.
 * - default_policy: deny when any active enforce record says deny or leaves it out (Neuwerk's default is deny);
 *   allow only when every one of them says allow (stricter wins). Audit records do not vote: their purpose is to
 *   observe without blocking, and the merged policy has no "audit" default to give unclaimed traffic.
 * - No active record, or only audit ones with nothing voting deny: default allow. With no active record at all
 *   there are no groups either, so a gateway without a policy passes traffic rather than cutting everyone off.
 * - Groups are sorted by priority (explicit priorities first, lower first), then record order, then list order;
 *   rules within a group by priority, then list order.
 * - Sources become CIDRs (bare IPs /32 or /128, host bits cleared); kubernetes selectors are resolved to IPs.
 */

export type KubernetesResolve = (source: KubernetesSource) => Promise<string[]>;

export const isActive = (record: PolicyRecord) => record.mode !== 'disabled';

/** Two active records claiming one group id, or null. */
export function findGroupClash(records: PolicyRecord[]): { group: string; first: PolicyRecord; second: PolicyRecord } | null {
  const owners = new Map<string, PolicyRecord>();
  for (const record of records.filter(isActive)) {
    for (const group of record.policy.source_groups) {
      const owner = owners.get(group.id);
      if (owner && owner.id !== record.id) return { group: group.id, first: owner, second: record };
      owners.set(group.id, record);
    }
  }
  return null;
}

/** The merged policy of the records (in creation order); kubernetes sources resolved with `resolve`. */
export async function mergePolicies(records: PolicyRecord[], generation: number, resolve: KubernetesResolve): Promise<EffectivePolicy> {
  const active = records.filter(isActive);
  const placed: { group: EffectiveGroup; priority: number | undefined; order: number }[] = [];
  let order = 0;
  for (const record of active) {
    for (const group of record.policy.source_groups) {
      placed.push({ group: await effectiveGroup(record, group, resolve), priority: group.priority, order: order++ });
    }
  }
  return {
    generation,
    default_policy: mergedDefault(active),
    groups: byPriority(placed).map((p) => p.group),
  };
}

function mergedDefault(active: PolicyRecord[]): Action {
  const voters = active.filter((r) => r.mode === 'enforce');
  return voters.some((r) => (r.policy.default_policy ?? 'deny') === 'deny') ? 'deny' : 'allow';
}

async function effectiveGroup(record: PolicyRecord, group: SourceGroup, resolve: KubernetesResolve): Promise<EffectiveGroup> {
  const audit = record.mode === 'audit';
  const rules = byPriority(group.rules.map((rule, order) => ({ rule, priority: rule.priority, order }))).map(({ rule }) => effectiveRule(rule, audit));
  return {
    id: group.id,
    policy_id: record.id,
    mode: audit ? 'audit' : (group.mode ?? 'enforce'),
    sources: await effectiveSources(group, resolve),
    rules,
    default_action: group.default_action ?? 'deny',
  };
}

/** The rule as the compiler reads it: protocol spelled canonically, the mode forced to audit in an audit record. */
function effectiveRule(rule: Rule, audit: boolean): Rule {
  const match = { ...rule.match };
  if (match.proto !== undefined) {
    const key = protoKey(match.proto)!;
    match.proto = /^\d+$/.test(key) ? Number(key) : key;
  }
  if (match.dst_cidrs) match.dst_cidrs = match.dst_cidrs.map(canonicalCidr);
  return { ...rule, ...(audit ? { mode: 'audit' as const } : {}), match };
}

async function effectiveSources(group: SourceGroup, resolve: KubernetesResolve): Promise<string[]> {
  const resolved: string[] = [];
  for (const source of group.sources.kubernetes ?? []) resolved.push(...(await resolve(source)));
  const all = [...(group.sources.cidrs ?? []), ...(group.sources.ips ?? []), ...resolved];
  return [...new Set(all.flatMap((value) => (parseCidr(value) ? [canonicalCidr(value)] : [])))];
}

const canonicalCidr = (value: string) => formatCidr(parseCidr(value)!);

/** Explicit priorities first (lower first), then the rest; ties keep their order. */
function byPriority<T extends { priority: number | undefined; order: number }>(items: T[]): T[] {
  return [...items].sort((a, b) => {
    const pa = a.priority ?? Infinity;
    const pb = b.priority ?? Infinity;
    return pa === pb ? a.order - b.order : pa - pb;
  });
}
