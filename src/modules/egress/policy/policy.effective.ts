import { formatCidr, parseCidr } from './ip.js';
import { protoKey } from './policy.model.js';
import type { Action, EffectiveGroup, EffectivePolicy, EffectiveRule, GroupMode, KubernetesSource, PolicyRecord, Rule, SourceGroup } from './policy.types.js';

/**
 * How the active record becomes the EffectivePolicy the gateway enforces. Neuwerk enforces one record at a time:
 * the one written last (created, replaced or upserted) in mode enforce or audit (policy.service.ts keeps that
 * pointer). This file turns it into what the compiler reads (docs/egress.md, Policies):
 *
 * - No active record: allow all traffic, no groups, so a gateway without a policy passes traffic rather than
 *   cutting everyone off.
 * - An audit record makes all of its groups and rules audit (denies are recorded, not enforced), whatever they say
 *   themselves, and its default_policy is allow: an audit record observes and must not block.
 * - default_policy of an enforce record: as written, deny when left out (Neuwerk's default).
 * - Enum values are lower-cased (Neuwerk reads them in any case).
 * - Groups are sorted by priority (explicit priorities first, lower first), then list order; rules likewise.
 * - Sources become CIDRs (bare IPs /32 or /128, host bits cleared); kubernetes selectors are resolved to IPs.
 */

export type KubernetesResolve = (source: KubernetesSource) => Promise<string[]>;

const lower = <T extends string>(value: string | undefined, fallback: T): T => (value?.trim().toLowerCase() as T | undefined) ?? fallback;

/** The policy the gateway enforces, from the active record (null: none). */
export async function effectivePolicy(active: PolicyRecord | null, generation: number, resolve: KubernetesResolve): Promise<EffectivePolicy> {
  if (!active) return { generation, default_policy: 'allow', groups: [] };
  const groups = active.policy.source_groups.map((group, order) => ({ group, priority: group.priority, order }));
  const effective: EffectiveGroup[] = [];
  for (const { group } of byPriority(groups)) effective.push(await effectiveGroup(active, group, resolve));
  return {
    generation,
    default_policy: active.mode === 'audit' ? 'allow' : lower<Action>(active.policy.default_policy, 'deny'),
    groups: effective,
  };
}

/**
 * Effective groups by the parsed group they came from (with the record's id and mode): a group parsed unchanged is
 * the same object again (policy.model.ts), so a one-rule change rebuilds one group and the compile cache and the
 * stored parts find the others by identity. Groups with kubernetes sources are resolved afresh every time.
 */
const effectiveGroups = new WeakMap<SourceGroup, { policyId: string; audit: boolean; effective: EffectiveGroup }>();

async function effectiveGroup(record: PolicyRecord, group: SourceGroup, resolve: KubernetesResolve): Promise<EffectiveGroup> {
  const audit = record.mode === 'audit';
  const known = effectiveGroups.get(group);
  if (known && known.policyId === record.id && known.audit === audit) return known.effective;
  const effective = await buildEffectiveGroup(record, group, audit, resolve);
  if (!group.sources.kubernetes?.length) effectiveGroups.set(group, { policyId: record.id, audit, effective });
  return effective;
}

async function buildEffectiveGroup(record: PolicyRecord, group: SourceGroup, audit: boolean, resolve: KubernetesResolve): Promise<EffectiveGroup> {
  const rules = byPriority(group.rules.map((rule, order) => ({ rule, priority: rule.priority, order }))).map(({ rule }) => effectiveRule(rule, audit));
  return {
    id: group.id,
    policy_id: record.id,
    mode: audit ? 'audit' : lower<GroupMode>(group.mode, 'enforce'),
    sources: await effectiveSources(group, resolve),
    rules,
    default_action: lower<Action>(group.default_action, 'deny'),
  };
}

/** The rule as the compiler reads it: enums lower-case, protocol spelled canonically, audit forced by an audit record. */
function effectiveRule(rule: Rule, audit: boolean): EffectiveRule {
  const match = { ...rule.match };
  if (match.proto !== undefined) {
    const key = protoKey(match.proto)!;
    match.proto = /^\d+$/.test(key) ? Number(key) : key;
  }
  if (match.dst_cidrs) match.dst_cidrs = match.dst_cidrs.map(canonicalCidr);
  const { mode, ...rest } = rule;
  const effectiveMode: GroupMode | undefined = audit ? 'audit' : mode === undefined ? undefined : lower<GroupMode>(mode, 'enforce');
  return { ...rest, action: lower<Action>(rule.action, 'deny'), ...(effectiveMode ? { mode: effectiveMode } : {}), match };
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
