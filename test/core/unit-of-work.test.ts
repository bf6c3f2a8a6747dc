import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
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

  test('a one-connection scope keeps statements committing alone, and a transaction inside still commits or rolls back whole', async () => {
    const seenBy: unknown[] = [];
    let inserted!: () => void;
    // Chained here, outside the scope's async context, so it reads on another connection.
    const seenOutside = new Promise<void>((resolve) => (inserted = resolve)).then(() => exists('one-connection-1'));
    await t.db.oneConnection(async () => {
      await insert('one-connection-1');
      inserted();
      seenBy.push(await seenOutside); // committed already, before the scope ends
      await t.db.transaction(async () => {
        await insert('one-connection-2');
        t.db.afterCommit(() => seenBy.push('after commit'));
      });
      await assert.rejects(
        t.db.transaction(async () => {
          await insert('one-connection-rolled-back');
          throw new Error('boom');
        }),
        /boom/,
      );
      await insert('one-connection-3');
    });
    assert.deepEqual(seenBy, [true, 'after commit']);
    assert.deepEqual(
      await Promise.all(['one-connection-1', 'one-connection-2', 'one-connection-rolled-back', 'one-connection-3'].map(exists)),
      [true, true, false, true],
    );
  });

  test('on PostgreSQL every query of a one-connection scope runs on the same pooled connection', async (ctx) => {
    if (t.db.dialect.name !== 'postgres') return ctx.skip('SQLite has one connection');
    const backend = async () => (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(t.db.kysely)).rows[0].pid;
    const pids = await t.db.oneConnection(async () => {
      const all = await Promise.all([backend(), backend(), backend()]); // in parallel, yet on one connection
      await t.db.transaction(async () => void all.push(await backend()));
      return all;
    });
    assert.equal(new Set(pids).size, 1, `pids: ${pids}`);
  });

  test('two transactions at once in a one-connection scope, and one started by work the scope left running, each commit whole', async () => {
    let leftRunning!: Promise<void>;
    await t.db.oneConnection(async () => {
      const both = ['at-once-1', 'at-once-2'].map((name) => t.db.transaction(async () => void (await insert(`${name}-a`), await insert(`${name}-b`))));
      await Promise.all(both);
      leftRunning = new Promise<void>((resolve) => setImmediate(resolve)).then(() => t.db.transaction(async () => void (await insert('left-running'))));
    });
    await leftRunning;
    const names = ['at-once-1-a', 'at-once-1-b', 'at-once-2-a', 'at-once-2-b', 'left-running'];
    assert.deepEqual(await Promise.all(names.map(exists)), names.map(() => true));
  });
});
