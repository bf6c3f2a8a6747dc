import { canonicalJson } from './canonical.js';
import type { BundleView } from './bundles.service.js';
import type { Rule } from './bundle.model.js';

export interface RuleChange {
  id: string;
  /** The rule's top-level fields whose values differ. */
  fields: string[];
  from: Rule;
  to: Rule;
}

export interface BundleDiff {
  from: { digest: string; serial: number };
  to: { digest: string; serial: number };
  identical: boolean;
  posture_changed: boolean;
  added: Rule[];
  removed: Rule[];
  changed: RuleChange[];
}

/** Rule-level differences between two bundles, keyed on rule id. */
export function diffBundles(from: BundleView, to: BundleView): BundleDiff {
  const before = new Map(from.rules.map((r) => [r.id, r]));
  const after = new Map(to.rules.map((r) => [r.id, r]));
  const changed: RuleChange[] = [];
  for (const [id, b] of after) {
    const a = before.get(id);
    if (!a) continue;
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    const fields = keys.filter((k) => canonicalJson((a as any)[k]) !== canonicalJson((b as any)[k]));
    if (fields.length > 0) changed.push({ id, fields, from: a, to: b });
  }
  return {
    from: { digest: from.digest, serial: from.serial },
    to: { digest: to.digest, serial: to.serial },
    identical: from.digest === to.digest,
    posture_changed: canonicalJson(from.posture) !== canonicalJson(to.posture),
    added: to.rules.filter((r) => !before.has(r.id)),
    removed: from.rules.filter((r) => !after.has(r.id)),
    changed,
  };
}
