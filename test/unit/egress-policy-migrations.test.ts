import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMigrator } from '../../src/core/db/migrator.js';
import { policyMigrations } from '../../src/modules/egress/policy/policy.migrations.js';
import { createPolicyStore } from '../../src/modules/egress/policy/policy.store.js';
import { createTestDatabase } from '../helpers/db.js';
import { compilePolicy } from '../../src/modules/egress/compiler/compile.js';
import { CompileCache } from '../../src/modules/egress/compiler/compile-cache.js';
import type { EffectiveGroup, EffectivePolicy } from '../../src/modules/egress/policy/policy.types.js';

test('upgrading to one active record: the most recently updated enforce or audit record is active; names become optional', async () => {
  const t = await createTestDatabase();
  try {
    const db = t.open();
    await createMigrator(db, [{ module: 'egress', migrations: policyMigrations.slice(0, 1) }], 'old').migrate();
    const row = (name: string, mode: string, updated: string) => ({
      id: `00000000-0000-4000-8000-0000000000${name.length}${mode.length}`, name, mode, policy: db.dialect.toJson({ source_groups: [] }),
      created_at: '2026-01-01T00:00:00.000Z', updated_at: updated,
    });
    await db.kysely.insertInto('egress_policies').values([
      row('older', 'enforce', '2026-01-02T00:00:00.000Z'),
      row('newest-on', 'audit', '2026-01-03T00:00:00.000Z'),
      row('off', 'disabled', '2026-01-04T00:00:00.000Z'),
    ] as never).execute();

    await createMigrator(db, [{ module: 'egress', migrations: policyMigrations }], 'new').migrate();
    const store = createPolicyStore(db);
    assert.equal((await store.active())?.name, 'newest-on');
    assert.deepEqual((await store.list()).map((r) => r.name).sort(), ['newest-on', 'off', 'older'], 'records survive the upgrade');
    await store.insert({ id: '00000000-0000-4000-8000-000000000099', name: null, mode: 'enforce', policy: { source_groups: [] }, created_at: '2026-01-05T00:00:00.000Z', updated_at: '2026-01-05T00:00:00.000Z' });
    await store.insert({ id: '00000000-0000-4000-8000-000000000098', name: null, mode: 'enforce', policy: { source_groups: [] }, created_at: '2026-01-06T00:00:00.000Z', updated_at: '2026-01-06T00:00:00.000Z' });
    assert.equal((await store.list()).filter((r) => r.name === null).length, 2, 'several records may have no name');
  } finally {
    await t.cleanup();
  }
});

test('upgrading generation storage: stored generations become manifests of parts and read back as they were compiled', async () => {
  const t = await createTestDatabase();
  try {
    const db = t.open();
    await createMigrator(db, [{ module: 'egress', migrations: policyMigrations.slice(0, 2) }], 'old').migrate();
    const group = (id: string, port: number): EffectiveGroup => ({
      id, policy_id: 'p', mode: 'enforce', sources: [`10.${id.charCodeAt(0)}.0.0/16`], default_action: 'deny',
      rules: [{ id: 'web', action: 'allow', match: { proto: 'tcp', dst_ports: [port] } }, { id: 'api', action: 'allow', match: { dns_hostname: '^api\\.example\\.com$' } }],
    });
    const effective = (generation: number): EffectivePolicy => ({ generation, default_policy: 'deny', groups: [group('a', 443), group('b', 1000 + generation)] });
    const old = [1, 2, 3].map((generation) => ({ generation, compiled: compilePolicy(effective(generation), new CompileCache()), effective: effective(generation) }));
    // A generation whose policy the compiler now refuses: kept whole, as it was stored.
    const refused = { ...effective(4), groups: [{ ...group('c', 80), rules: [{ id: 'x', action: 'allow' as const, match: { proto: 'no-such-protocol' } }] }] };
    const rows = [...old, { generation: 4, compiled: { generation: 4, nft: '# as stored\n', dns: { generation: 4, default_policy: 'deny', groups: [] }, denySets: [] }, effective: refused }];
    await db.kysely.insertInto('egress_generations' as never)
      .values(rows.map((r) => ({ generation: r.generation, compiled: db.dialect.toJson(r.compiled), effective: db.dialect.toJson(r.effective), created_at: '2026-01-01T00:00:00.000Z' })) as never)
      .execute();

    await createMigrator(db, [{ module: 'egress', migrations: policyMigrations }], 'new').migrate();
    const store = createPolicyStore(db);
    assert.deepEqual(await store.generationNumbers(), [1, 2, 3, 4]);
    for (const r of old) {
      const stored = (await store.generation(r.generation))!;
      assert.equal(stored.compiled.nft, r.compiled.nft, `generation ${r.generation}: the same script`);
      assert.deepEqual([stored.compiled.dns, stored.compiled.denySets, stored.effective], [r.compiled.dns, r.compiled.denySets, r.effective]);
    }
    assert.deepEqual((await store.generation(4))!.compiled, rows[3].compiled, 'the refused one as it was stored');
    const { parts } = await store.generationStorage();
    assert.equal(parts, 1 + 3 + 1 + 1, 'group a stored once for three generations; b once per generation; the frame once; the whole one');
  } finally {
    await t.cleanup();
  }
});
