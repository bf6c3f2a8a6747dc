import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMigrator } from '../../src/core/db/migrator.js';
import { policyMigrations } from '../../src/modules/egress/policy/policy.migrations.js';
import { createPolicyStore } from '../../src/modules/egress/policy/policy.store.js';
import { createTestDatabase } from '../helpers/db.js';

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
