import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compilePolicy } from '../../src/modules/egress/compiler/compile.js';
import { parseScript, scriptChange } from '../../src/modules/egress/dataplane/nft-script.js';
import type { EffectiveGroup, EffectivePolicy } from '../../src/modules/egress/policy/policy.types.js';

const group = (g: number, port = 443): EffectiveGroup => ({
  id: `g${g}`, policy_id: 'p', mode: 'enforce', sources: [`10.${g}.0.0/16`], default_action: 'deny',
  rules: [
    { id: 'web', action: 'allow', match: { proto: 'tcp', dst_ports: [port, 8000 + g], dst_cidrs: [`198.18.${g}.0/24`] } },
    { id: 'dns', action: 'allow', match: { dns_hostname: `^svc\\.g${g}\\.example\\.com$` } },
  ],
});
const policy = (generation: number, groups: EffectiveGroup[]): EffectivePolicy => ({ generation, default_policy: 'deny', groups });

test('a parse that reuses the last one (by position, else by text) gives the same in-place change as a parse from scratch', () => {
  const base = Array.from({ length: 8 }, (_, g) => group(g));
  const changes: Array<[string, EffectiveGroup[]]> = [
    ['a port changed', base.map((g, i) => (i === 5 ? group(5, 80) : g))],
    ['a group added in front (every object moved)', [group(1, 22), ...base.slice(2), base[0]].map((g, i) => (i === 3 ? group(30) : g))],
    ['a group removed', base.filter((_, i) => i !== 2)],
    ['nothing changed', base],
  ];
  for (const [what, groups] of changes) {
    const before = parseScript(compilePolicy(policy(1, base)).nft);
    const text = compilePolicy(policy(2, groups)).nft;
    const reused = parseScript(text, before);
    const fresh = parseScript(text);
    assert.deepEqual(reused.objects, fresh.objects, what);
    const unchanged = reused.objects.filter((o) => before.objects.includes(o)).length;
    assert.ok(what === 'a group added in front (every object moved)' ? unchanged > 0 : unchanged >= before.objects.length - 4, `${what}: unchanged objects are the last parse's`);
    const change = scriptChange(before, reused);
    assert.deepEqual(change, scriptChange(before, fresh), what);
    if (what === 'nothing changed') assert.deepEqual(change, { statements: [], chains: 0, sets: 0 });
  }
});
