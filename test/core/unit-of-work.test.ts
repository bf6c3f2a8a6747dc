import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { migratedDatabase } from '../helpers/db.js';

type Db = Awaited<ReturnType<typeof migratedDatabase>>;

describe('unit of work', () => {
  let t: Db;
  before(async () => {
    t = await migratedDatabase();
  });
  after(() => t.cleanup());

  const migrations = async () => (await t.db.kysely.selectFrom('rampart_migrations').select('name').execute()).length;
  const insert = (name: string) =>
    t.db.kysely.insertInto('rampart_migrations').values({ module: 'uow-test', name, applied_at: new Date().toISOString(), rampart_version: 'test' }).execute();
  const exists = async (name: string) =>
    Boolean(await t.db.kysely.selectFrom('rampart_migrations').select('name').where('module', '=', 'uow-test').where('name', '=', name).executeTakeFirst());

  test('slow work before a unit of work queries holds no connection: other requests read and write meanwhile', { timeout: 60_000 }, async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const unit = t.db.transaction(async () => {
      await gate; // a password hash, say
      await insert('after-slow-work');
    });
    // Were the transaction begun (and SQLite's connection taken) when the unit opened, these would wait for the gate.
    assert.ok((await migrations()) > 0);
    await insert('meanwhile');
    release();
    await unit;
    assert.deepEqual([await exists('meanwhile'), await exists('after-slow-work')], [true, true]);
  });

  test('a unit of work commits together, rolls back together, and joins an outer one', async () => {
    await t.db.transaction(async () => {
      await insert('committed-1');
      await t.db.transaction(() => insert('committed-2'));
    });
    await assert.rejects(
      t.db.transaction(async () => {
        await insert('rolled-back-1');
        await t.db.transaction(() => insert('rolled-back-2'));
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.deepEqual(
      await Promise.all(['committed-1', 'committed-2', 'rolled-back-1', 'rolled-back-2'].map(exists)),
      [true, true, false, false],
    );
  });

  test('a unit that never queries commits nothing and runs its after-commit callbacks', async () => {
    const ran: string[] = [];
    const value = await t.db.transaction(async () => {
      t.db.afterCommit(() => ran.push('after'));
      return 42;
    });
    assert.deepEqual([value, ran], [42, ['after']]);
  });
});
