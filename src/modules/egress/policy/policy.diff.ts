import { isDeepStrictEqual } from 'node:util';
import { toNeuwerkDocument } from './policy.document.js';
import type { PolicyConfig, Rule, SourceGroup } from './policy.types.js';

/** What a write would change in the policy the gateway enforces, by the ids authors give groups and rules. */
export interface PolicyChanges {
  default_policy: { from: string | null; to: string | null } | null;
  groups_added: string[];
  groups_removed: string[];
  groups_changed: GroupChanges[];
}

export interface GroupChanges {
  id: string;
  /** Group fields other than its rules whose value differs (sources, mode, priority, default_action). */
  fields: string[];
  rules_added: string[];
  rules_removed: string[];
  rules_changed: string[];
}

type Doc = ReturnType<typeof toNeuwerkDocument> & { default_policy: string | null; source_groups: (SourceGroup & { rules: Rule[] })[] };

/** Compares two policies in Neuwerk's serialised form, so a null and an absent optional value are the same. */
export function diffPolicies(current: PolicyConfig | null, proposed: PolicyConfig): PolicyChanges {
  const before = (current ? toNeuwerkDocument(current) : { default_policy: 'allow', source_groups: [] }) as Doc;
  const after = toNeuwerkDocument(proposed) as Doc;
  const groups = compareById(before.source_groups, after.source_groups);
  const fromPolicy = lower(before.default_policy);
  const toPolicy = lower(after.default_policy);
  return {
    default_policy: fromPolicy === toPolicy ? null : { from: fromPolicy, to: toPolicy },
    groups_added: groups.added,
    groups_removed: groups.removed,
    groups_changed: groups.changed.map(([a, b]) => groupChanges(a, b)).filter((g) => g.fields.length + g.rules_added.length + g.rules_removed.length + g.rules_changed.length > 0),
  };
}

function groupChanges(before: SourceGroup, after: SourceGroup): GroupChanges {
  const fields = Object.keys({ ...before, ...after }).filter((k) => k !== 'rules' && !isDeepStrictEqual(before[k as keyof SourceGroup], after[k as keyof SourceGroup]));
  const rules = compareById(before.rules, after.rules);
  return {
    id: after.id,
    fields,
    rules_added: rules.added,
    rules_removed: rules.removed,
    rules_changed: rules.changed.filter(([a, b]) => !isDeepStrictEqual(a, b)).map(([, b]) => b.id),
  };
}

function compareById<T extends { id: string }>(before: T[], after: T[]) {
  const old = new Map(before.map((item) => [item.id, item]));
  const ids = new Set(after.map((item) => item.id));
  return {
    added: after.filter((item) => !old.has(item.id)).map((item) => item.id),
    removed: before.filter((item) => !ids.has(item.id)).map((item) => item.id),
    changed: after.filter((item) => old.has(item.id)).map((item) => [old.get(item.id)!, item] as [T, T]),
  };
}

// Neuwerk reads enums in any case: "Deny" and "deny" are the same policy.
const lower = (value: string | null | undefined) => (typeof value === 'string' ? value.toLowerCase() : 'deny');
