import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { compileParts, compilePolicy } from '../../src/modules/egress/compiler/compile.js';
import { CompileCache } from '../../src/modules/egress/compiler/compile-cache.js';
import { policyMigrations } from '../../src/modules/egress/policy/policy.migrations.js';
import { createGenerationStore, dropCachedParts, GENERATIONS_KEPT } from '../../src/modules/egress/policy/generation.store.js';
import type { EffectiveGroup, EffectivePolicy } from '../../src/modules/egress/policy/policy.types.js';
import { migratedDatabase } from '../helpers/db.js';

/** A group with port, network, DNS, ICMP and IPv6 rules; `port` changes its first rule. */
function group(id: string, cidr: string, port: number, mode: 'enforce' | 'audit' = 'enforce'): EffectiveGroup {
  return {
    id, policy_id: 'p', mode, sources: [cidr], default_action: 'deny',
    rules: [
      { id: 'web', action: 'allow', match: { proto: 'tcp', dst_ports: [port, '8000-8080'], dst_cidrs: ['198.18.0.0/24', '2001:db8::/64'] } },
      { id: 'dns', action: 'allow', match: { dns_hostname: `^api\\.${id}\\.example\\.com$`, proto: 'tcp', dst_ports: [443] } },
      { id: 'ping', action: 'allow', match: { icmp_types: [8], dst_cidrs: ['100.64.0.0/24'] } },
      { id: 'block', action: 'deny', match: { proto: 'udp', dst_ports: [53], dst_ips: ['203.0.113.7'] } },
    ],
  };
}

describe('egress generation storage (content-addressed parts)', () => {
  let t: Awaited<ReturnType<typeof migratedDatabase>>;
  before(async () => {
    t = await migratedDatabase([{ module: 'egress', migrations: policyMigrations }]);
  });
  after(async () => {
    await t.db.close();
    await t.cleanup();
  });

  const store = () => createGenerationStore(() => t.db.kysely as any, t.db.dialect);
  const storedHashes = async () => (await t.db.kysely.selectFrom('egress_generation_parts' as never).select('hash' as never).execute() as Array<{ hash: string }>).map((r) => r.hash).sort();
  const namedHashes = async () => {
    const rows = await t.db.kysely.selectFrom('egress_generations' as never).select('manifest' as never).execute() as Array<{ manifest: string }>;
    return [...new Set(rows.flatMap((r) => { const m = JSON.parse(r.manifest); return 'whole' in m ? [m.whole] : [m.frame, ...m.groups]; }))].sort();
  };

  test('a generation stored as parts restores from the database alone: the same nft script, byte for byte, and the same policy', async () => {
    const generations = store();
    const policies: EffectivePolicy[] = [1, 2, 3].map((n) => ({
      generation: n, default_policy: 'deny',
      groups: [group('a', '10.1.0.0/16', 443), group('b', '10.2.0.0/16', 1000 + n, 'audit'), group('v6', '2001:db8:1::/48', 22)],
    }));
    const cache = new CompileCache<any>();
    for (const p of policies) await generations.add(compileParts(p, cache), '2026-12-07T00:00:00.000Z');
    dropCachedParts(); // nothing from this process's memory: every part is read and parsed again
    for (const p of policies) {
      const stored = (await generations.get(p.generation))!;
      const full = compilePolicy(p, new CompileCache());
      assert.equal(stored.compiled.nft, full.nft, `generation ${p.generation}: the same script`);
      assert.deepEqual(stored.compiled, full, `generation ${p.generation}: bindings, DNS policy and deny sets too`);
      assert.deepEqual(stored.effective, p);
    }
  });

  test('collection drops only parts no kept generation names: shared, removed and returning groups', async () => {
    const generations = store();
    const first = (await generations.latestNumber()) + 1;
    const cache = new CompileCache<any>();
    // "a" never changes (one part for every generation); "b" changes each time; "c" is in the first generation only
    // and comes back unchanged once its part has been collected; "d" joins halfway.
    const policyOf = (n: number): EffectivePolicy => {
      const i = n - first;
      const groups = [group('a', '10.1.0.0/16', 443), group('b', '10.2.0.0/16', 2000 + i)];
      if (i === 0 || i === GENERATIONS_KEPT + 3) groups.push(group('c', '10.3.0.0/16', 443));
      if (i >= GENERATIONS_KEPT / 2) groups.push(group('d', '10.4.0.0/16', 443));
      return { generation: n, default_policy: 'deny', groups };
    };
    const last = first + GENERATIONS_KEPT + 5;
    for (let n = first; n <= last; n++) {
      await generations.add(compileParts(policyOf(n), cache), '2026-12-07T00:00:00.000Z');
      assert.deepEqual(await storedHashes(), await namedHashes(), `after generation ${n}: exactly the parts kept manifests name`);
    }
    assert.deepEqual(await generations.numbers(), Array.from({ length: GENERATIONS_KEPT }, (_, i) => last - GENERATIONS_KEPT + 1 + i));
    assert.equal(await generations.get(last - GENERATIONS_KEPT), null, 'a dropped generation is gone');
    dropCachedParts();
    for (const n of await generations.numbers()) {
      const stored = (await generations.get(n))!;
      assert.equal(stored.compiled.nft, compilePolicy(policyOf(n), new CompileCache()).nft, `generation ${n} restores`);
    }
    const size = await generations.size();
    // a: 1, b: one per kept generation, c: 1 (back once), d: 1, and the frames: one per distinct set of claims.
    assert.ok(size.parts <= 1 + GENERATIONS_KEPT + 1 + 1 + 3, `${size.parts} parts for ${GENERATIONS_KEPT} generations`);
  });
});
