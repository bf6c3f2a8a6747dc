/**
 * The PostgreSQL statement runner under the pool (pg-statement.ts, statement-cache.ts): a statement a connection
 * knows is bound and executed without asking for its columns again, so what it answers must stay right when the
 * schema changes under it, when a run failed half-way, and when a unit starts several queries at once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { cachedPostgresPool } from '../../src/core/db/statement-cache.js';
import { createTestDatabase, postgresBaseUrl, type TestDatabase } from '../helpers/db.js';

describe('PostgreSQL statements on a pooled connection', { skip: !postgresBaseUrl && 'PostgreSQL only (RAMPART_TEST_DATABASE_URL)' }, () => {
  let tdb: TestDatabase;
  let pool: ReturnType<typeof cachedPostgresPool>;
  /** Another node's connection: its schema changes are not made through the pool under test. */
  let other: pg.Client;
  before(async () => {
    tdb = await createTestDatabase();
    pool = cachedPostgresPool(new pg.Pool({ connectionString: tdb.url, max: 1 })); // one connection: every run reuses it
    other = new pg.Client({ connectionString: tdb.url });
    await other.connect();
  });
  after(async () => {
    await other?.end();
    await pool?.end();
    await tdb?.cleanup();
  });

  type Rows = Record<string, unknown>[];
  const run = async (text: string, values: unknown[] = []) => {
    const client = await pool.connect();
    try {
      return ((await client.query(text, values)) as { rows: Rows }).rows;
    } finally {
      client.release();
    }
  };

  test('a known statement answers the same typed rows as its first run, with each run its own values', async () => {
    await other.query('create table typed (id int8, at timestamptz, doc jsonb, flag boolean, name text, note text, raw bytea)');
    await other.query(`insert into typed values (1, '2026-01-02T03:04:05Z', '{"a":[1]}', true, 'one', null, '\\x0102'), (2, '2026-02-03T04:05:06Z', '[]', false, 'two', 'n', null)`);
    const select = 'select * from typed where id = $1 or name = $2 order by id';
    const first = await run(select, [1, 'none']);
    // node-postgres's own query object (with its Describe on every run) is the reference.
    assert.deepEqual(first, (await other.query(select, [1, 'none'])).rows);
    assert.deepEqual(Object.keys(first[0]), ['id', 'at', 'doc', 'flag', 'name', 'note', 'raw']);
    assert.deepEqual([first[0].doc, first[0].flag, first[0].note, first[0].raw], [{ a: [1] }, true, null, Buffer.from([1, 2])]);
    for (let i = 0; i < 3; i++) assert.deepEqual(await run(select, [1, 'none']), first, 'parsed with the parsers learnt on the first run');
    assert.deepEqual(await run(select, [0, 'two']), (await other.query(select, [0, 'two'])).rows);
    assert.deepEqual(await run('select count(*)::int as n from typed where raw = $1', [Buffer.from([1, 2])]), [{ n: 1 }], 'a Buffer value is sent as bytes');
  });

  test('a column added, renamed or retyped under a known select * fails that run, never answering rows of the old shape', async () => {
    await other.query('create table probe (a int)');
    await other.query('insert into probe (a) values (1)');
    for (let i = 0; i < 2; i++) assert.deepEqual(await run('select * from probe'), [{ a: 1 }]);
    for (const [change, shape] of [
      ['alter table probe add column b int', { a: 1, b: null }],
      ['alter table probe rename column a to c', { c: 1, b: null }],
      ["alter table probe alter column b type text using 'x'", { c: 1, b: 'x' }],
    ] as const) {
      await other.query(change); // as another node's migration would
      await assert.rejects(run('select * from probe'), /cached plan must not change result type/, change);
      assert.deepEqual(await run('select * from probe'), [shape], `after "${change}" the next run (a fresh connection) reads the new shape`);
      assert.deepEqual(await run('select * from probe'), [shape], 'and so does the one after, without describing it again');
    }
  });

  test('a statement whose run failed runs again: prepared afresh when its first run failed, reused when it had been prepared', async () => {
    await assert.rejects(run('select x from later where x > $1', [0]), /relation "later" does not exist/);
    await other.query('create table later (x int)');
    await other.query('insert into later values (1), (2)');
    assert.deepEqual(await run('select x from later where x > $1', [0]), [{ x: 1 }, { x: 2 }], 'prepared now that the table exists');
    // Prepared, then failing as it runs (a division by zero), on its first run and on a later one.
    const divide = 'select 10 / $1::int as q';
    await assert.rejects(run(divide, [0]), /division by zero/);
    assert.deepEqual(await run(divide, [5]), [{ q: 2 }]);
    await assert.rejects(run(divide, [0]), /division by zero/);
    assert.deepEqual(await run(divide, [2]), [{ q: 5 }]);
  });

  test('queries started together on one connection run one after another, in order, with no deprecation warning', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    const client = await pool.connect();
    try {
      const answers = await Promise.all([1, 2, 3, 4, 5].map((n) => client.query(`select $1::int * ${n} as n`, [n]) as Promise<{ rows: Rows }>));
      assert.deepEqual(answers.map((a) => a.rows[0].n), [1, 4, 9, 16, 25]);
      const failing = await Promise.allSettled([client.query('select 1 / $1::int as n', [0]), client.query('select $1::int as n', [7])] as Promise<{ rows: Rows }>[]);
      assert.equal(failing[0].status, 'rejected');
      assert.deepEqual(failing[1].status === 'fulfilled' && failing[1].value.rows, [{ n: 7 }], 'a failed query does not stop the one behind it');
    } finally {
      client.release();
    }
    await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
    process.off('warning', onWarning);
    assert.deepEqual(warnings.filter((w) => /already executing a query/.test(w)), []);
  });
});
