import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { createMigrator, NewerDatabaseError } from '../../src/core/db/migrator.js';
import { coreMigrations } from '../../src/core/migrations.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { createTestRampart } from '../helpers/app.js';
import { probeModule } from '../helpers/probe-module.js';

describe('migrations', () => {
  const made: TestDatabase[] = [];
  after(() => Promise.all(made.map((t) => t.cleanup())));
  const fresh = async () => {
    const t = await createTestDatabase();
    made.push(t);
    return t;
  };

  test('an empty database gets every table, and a second run applies nothing', async () => {
    const t = await fresh();
    const db = t.open();
    const migrator = createMigrator(db, coreMigrations, '1.0.0');
    const all = coreMigrations.flatMap((m) => m.migrations.map((x) => `${m.module}/${x.name}`));
    assert.equal((await migrator.status()).pending.length, all.length, 'every migration of every module is pending');
    const first = await migrator.migrate();
    assert.deepEqual(first.applied, all);
    const tables = (await db.kysely.introspection.getTables()).map((x) => x.name);
    for (const name of ['audit_events', 'jobs', 'rampart_migrations']) assert.ok(tables.includes(name), name);
    assert.deepEqual((await migrator.migrate()).applied, []);
    assert.deepEqual(await migrator.status(), { applied: all.length, pending: [], unknown: [] });
  });

  test('a database migrated by a newer version is refused and left untouched', async () => {
    const t = await fresh();
    const db = t.open();
    await createMigrator(db, coreMigrations, '1.0.0').migrate();
    await db.kysely
      .insertInto('rampart_migrations')
      .values({ module: 'audit', name: '0002_from_the_future', applied_at: new Date().toISOString(), rampart_version: '9.0.0' })
      .execute();
    const older = createMigrator(db, [...coreMigrations, { module: 'probe', migrations: probeModule().migrations! }], '1.0.0');
    await assert.rejects(older.migrate(), (err: unknown) => {
      assert.ok(err instanceof NewerDatabaseError);
      assert.match(err.message, /newer Rampart \(audit\/0002_from_the_future, applied by 9\.0\.0\)/);
      return true;
    });
    const tables = (await db.kysely.introspection.getTables()).map((x) => x.name);
    assert.ok(!tables.includes('probe_notes'), 'the refusal applied nothing');
  });

  test('/ready is 503 with the readiness state while migrations are pending', async () => {
    const r = await createTestRampart({ modules: [probeModule()] });
    try {
      await r.core.db.kysely.deleteFrom('rampart_migrations').where('module', '=', 'probe').execute();
      const notReady = await r.app.inject({ method: 'GET', url: '/ready' });
      assert.equal(notReady.statusCode, 503);
      assert.deepEqual(notReady.json(), {
        ready: false,
        checks: [{ name: 'database', ok: true, detail: null }, { name: 'migrations', ok: false, detail: '1 migration(s) pending or unknown' }],
        status: 'not_ready', database: 'ok', pending_migrations: 1,
      });
      const readyz = await r.app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(readyz.statusCode, 503);
      assert.deepEqual(readyz.json(), { status: 'not_ready', detail: '1 migration(s) pending' });
    } finally {
      await r.cleanup();
    }
  });

  test('health answers 503 when the database is gone', async () => {
    const r = await createTestRampart();
    try {
      await r.core.db.close();
      const health = await r.app.inject({ method: 'GET', url: '/api/v1/health' });
      assert.equal(health.statusCode, 503);
      assert.equal(health.json().db_connected, false);
      assert.equal(health.json().status, 'degraded');
      const ready = await r.app.inject({ method: 'GET', url: '/ready' });
      assert.equal(ready.statusCode, 503);
      assert.equal(ready.json().database, 'unreachable');
      assert.equal(ready.json().ready, false);
      assert.deepEqual(ready.json().checks[0], { name: 'database', ok: false, detail: 'database unreachable' });
    } finally {
      await r.tdb.cleanup();
    }
  });
});
