import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compilePolicy } from '../../src/modules/egress/compiler/compile.js';
import { CompileCache } from '../../src/modules/egress/compiler/compile-cache.js';
import type { EffectiveGroup, EffectivePolicy, EffectiveRule } from '../../src/modules/egress/policy/policy.types.js';

const rules = (g: number, count: number): EffectiveRule[] =>
  Array.from({ length: count }, (_, r): EffectiveRule => (r % 5 === 1
    ? { id: `r${r}`, action: 'allow', match: { dns_hostname: `^svc${r}\\.g${g}\\.example\\.com$`, proto: 'tcp', dst_ports: [443] } }
    : { id: `r${r}`, action: r % 3 ? 'allow' : 'deny', match: { proto: 'tcp', dst_ports: [1000 + r], dst_cidrs: [`198.18.${r}.0/24`] } }));

const group = (g: number, count = 16, extra: Partial<EffectiveGroup> = {}): EffectiveGroup =>
  ({ id: `g${g}`, policy_id: 'p', mode: g % 4 ? 'enforce' : 'audit', sources: [`10.${g}.0.0/16`], rules: rules(g, count), default_action: 'deny', ...extra });

const policy = (generation: number, groups: EffectiveGroup[]): EffectivePolicy => ({ generation, default_policy: 'deny', groups });

test('an incremental compile gives the same output as a full one for added, removed and changed rules and groups', () => {
  const base = Array.from({ length: 6 }, (_, g) => group(g));
  const changes: Array<[string, EffectiveGroup[]]> = [
    ['a rule changed', base.map((g, i) => (i === 2 ? { ...g, rules: g.rules.map((r, j) => (j === 0 ? { ...r, match: { ...r.match, dst_ports: [8443] } } : r)) } : g))],
    ['a rule added', base.map((g, i) => (i === 3 ? { ...g, rules: [...g.rules, { id: 'new', action: 'allow', match: { proto: 'udp', dst_ports: [53] } }] } : g))],
    ['a rule removed', base.map((g, i) => (i === 1 ? { ...g, rules: g.rules.slice(1) } : g))],
    ['a group added', [...base.slice(0, 3), group(40, 8), ...base.slice(3)]],
    ['a group removed', base.filter((_, i) => i !== 4)],
    ['a group\'s sources changed (claims of the later ones too)', base.map((g, i) => (i === 0 ? { ...g, sources: ['10.0.0.0/8'] } : g))],
    ['groups reordered', [...base].reverse()],
  ];
  for (const [what, groups] of changes) {
    const cache = new CompileCache<any>();
    compilePolicy(policy(1, base), cache);
    const misses = cache.misses;
    const incremental = compilePolicy(policy(2, groups), cache);
    const full = compilePolicy(policy(2, groups), new CompileCache());
    assert.deepEqual(incremental, full, what);
    assert.equal(incremental.nft, full.nft, `${what}: byte-identical script`);
    const changed = groups.filter((g) => !base.includes(g)).length;
    assert.equal(cache.misses - misses, changed, `${what}: only the ${changed} changed group(s) compiled again`);
  }
});
