/**
 * db.prepare: a read built and compiled once, run with new values. It answers what the same Kysely query answers,
 * joins the unit of work it runs in (it sees the transaction's own writes, others do not until commit), waits for
 * SQLite's connection while another unit holds it, and prepares its statement once however often it runs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { migratedDatabase } from '../helpers/db.js';

type Db = Awaited<ReturnType<typeof migratedDatabase>>;

describe('prepared reads', () => {
  let t: Db;
  before(async () => {
    t = await migratedDatabase();
  });
  after(() => t.cleanup());

  const insert = (name: string, version = 'test') =>
    t.db.kysely.insertInto('rampart_migrations').values({ module: 'prepared-test', name, applied_at: new Date().toISOString(), rampart_version: version }).execute();
  const byName = () =>
    t.db.prepare((k, name: string) =>
      // 'prepared-test' stays a constant of the query; only name is an argument.
      k.selectFrom('rampart_migrations').select(['name', 'rampart_version']).where('module', '=', 'prepared-test').where('name', '=', name),
    );

  test('answers what the same Kysely query answers, for each value it is given', async () => {
    await insert('a', 'v1');
    await insert('b', 'v2');
    const read = byName();
    assert.deepEqual(await read('a'), [{ name: 'a', rampart_version: 'v1' }]);
    assert.deepEqual(await read('b'), [{ name: 'b', rampart_version: 'v2' }]);
    assert.deepEqual(await read('missing'), []);
    const viaKysely = await t.db.kysely.selectFrom('rampart_migrations').select(['name', 'rampart_version']).where('module', '=', 'prepared-test').where('name', '=', 'b').execute();
    assert.deepEqual(await read('b'), viaKysely);
  });

  test("joins the current transaction: it sees the unit's own write, which others see only after commit", async () => {
    const read = byName();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let seenInside: unknown[] = [];
    const unit = t.db.transaction(async () => {
      await insert('in-unit');
      seenInside = await read('in-unit');
      await gate;
    });
    // The unit holds SQLite's connection (PostgreSQL: its own one) until it ends: this read waits or sees the old state.
    await new Promise((resolve) => setImmediate(resolve));
    const outside = read('in-unit');
    release();
    await unit;
    assert.deepEqual(seenInside, [{ name: 'in-unit', rampart_version: 'test' }]);
    const after = await outside;
    assert.ok(after.length === 0 || after.length === 1, 'outside: nothing or the committed row, never a half-done unit');
    assert.deepEqual(await read('in-unit'), [{ name: 'in-unit', rampart_version: 'test' }], 'after commit, everyone sees it');
  });

  test('runs the same statement however often it is called: prepares stay flat', async () => {
    const read = byName();
    await read('a');
    const before = t.db.statements().prepares;
    for (let i = 0; i < 20; i++) await read(i % 2 ? 'a' : 'b');
    assert.equal(t.db.statements().prepares, before);
  });

  test('an argument that does not become a parameter of the query is refused when the read is first run', async () => {
    const read = t.db.prepare((k, _unused: string) => k.selectFrom('rampart_migrations').select('name').where('module', '=', 'prepared-test'));
    await assert.rejects(read('a'), /argument 0 is not a parameter/);
  });
});
