/**
 * db.defer: writes a transaction holds back and sends together (write-batch.ts). Whatever the database, a held write
 * commits with its unit and rolls back with it, the unit's own later reads see it, a failing held write fails the
 * unit (nothing of it commits), and a NOTIFY held for the commit reaches listeners only after it. On PostgreSQL the
 * held writes of a unit go out as one statement (counted here); the SQL combining them is checked on its own.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CompiledQuery, sql } from 'kysely';
import pg from 'pg';
import { combine, createWriteBatch, renumbered } from '../../src/core/db/write-batch.js';
import { migratedDatabase, onPostgres } from '../helpers/db.js';
import { waitFor } from '../helpers/wait.js';

type Db = Awaited<ReturnType<typeof migratedDatabase>>;

describe('held writes (db.defer)', () => {
  let t: Db;
  before(async () => {
    t = await migratedDatabase();
  });
  after(() => t.cleanup());

  const row = (name: string) => ({ module: 'batch-test', name, applied_at: new Date().toISOString(), rampart_version: 'test' });
  const hold = (name: string) => t.db.defer(t.db.kysely.insertInto('rampart_migrations').values(row(name)));
  const exists = async (name: string) =>
    Boolean(await t.db.kysely.selectFrom('rampart_migrations').select('name').where('module', '=', 'batch-test').where('name', '=', name).executeTakeFirst());

  test('held writes commit with their unit, roll back with it, and the unit reads its own', async () => {
    let seenInside = false;
    await t.db.transaction(async () => {
      await hold('held-1');
      await hold('held-2');
      seenInside = await exists('held-1');
      await hold('held-3'); // nothing reads after this one: it goes out just before the commit
    });
    assert.equal(seenInside, true, 'a query after a held write sees it');
    await assert.rejects(
      t.db.transaction(async () => {
        await hold('rolled-back');
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.deepEqual(await Promise.all(['held-1', 'held-2', 'held-3', 'rolled-back'].map(exists)), [true, true, true, false]);
  });

  test('a held write that fails fails its unit: nothing the unit wrote commits', async () => {
    await hold('taken');
    await assert.rejects(
      t.db.transaction(async () => {
        await t.db.kysely.insertInto('rampart_migrations').values(row('written-first')).execute();
        await hold('fine');
        await hold('taken'); // primary key (module, name) exists: the batch fails at the commit
      }),
    );
    assert.deepEqual(await Promise.all(['written-first', 'fine'].map(exists)), [false, false]);
  });

  test('a unit whose first statement fails leaves nothing behind, and the next unit runs', async () => {
    await assert.rejects(
      t.db.transaction(async () => {
        await t.db.kysely.insertInto('rampart_migrations').values(row('taken')).execute(); // exists: fails at once
      }),
    );
    await t.db.transaction(async () => {
      await hold('after-failure');
    });
    assert.equal(await exists('after-failure'), true);
  });

  test('a unit that wrote before an error thrown in between rolls back what it wrote', async () => {
    await assert.rejects(
      t.db.transaction(async () => {
        await t.db.kysely.insertInto('rampart_migrations').values(row('first-then-throw')).execute();
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(await exists('first-then-throw'), false);
  });

  test('a unit whose first statement is not a query still runs in one transaction', { skip: !onPostgres && 'PostgreSQL only (set local)' }, async () => {
    await assert.rejects(
      t.db.transaction(async () => {
        await sql`set local statement_timeout = 60000`.execute(t.db.kysely);
        await t.db.kysely.insertInto('rampart_migrations').values(row('after-set-local')).execute();
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(await exists('after-set-local'), false);
  });

  test('outside a unit a held write runs at once', async () => {
    await hold('alone');
    assert.equal(await exists('alone'), true);
  });

  test('on PostgreSQL a NOTIFY held for the commit arrives after it, and the unit sends its held writes as one statement', { skip: !onPostgres }, async () => {
    const listener = new pg.Client({ connectionString: t.db.postgresUrl });
    await listener.connect();
    const received: string[] = [];
    listener.on('notification', (n) => received.push(n.payload ?? ''));
    await listener.query('listen batch_test');
    const texts: string[] = [];
    const original = pg.Client.prototype.query;
    try {
      let notified = false;
      pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
        const q = args[0] as string | { text: string };
        if (this !== listener) texts.push(typeof q === 'string' ? q : q.text);
        return (original as (...a: unknown[]) => unknown).apply(this, args);
      } as typeof original;
      await t.db.transaction(async () => {
        await t.db.defer(sql`select pg_notify(${'batch_test'}, ${'hello'})`.compile(t.db.kysely), { untilCommit: true });
        await hold('with-notify-1');
        await exists('with-notify-1'); // a query: sends the insert held so far, not the NOTIFY
        await hold('with-notify-2');
        notified = received.length > 0;
      });
      assert.equal(notified, false, 'nothing is delivered before the commit');
      await waitFor('the notification', () => received.length === 1);
      assert.deepEqual(received, ['hello']);
      // BEGIN goes out with the first statement and COMMIT with the last (pg-pipeline.ts): three round trips.
      assert.deepEqual(
        texts.map((text) => text.split(' ').slice(0, 3).join(' ')),
        ['insert into "rampart_migrations"', 'select "name" from', 'with w0 as'],
        texts.join('\n'),
      );
      assert.match(texts[2], /^with w0 as \(insert .*\), s1 as \(select pg_notify\(\$\d+, \$\d+\)\) select 1 from s1$/);
    } finally {
      pg.Client.prototype.query = original;
      await listener.end();
    }
    assert.deepEqual(await Promise.all(['with-notify-1', 'with-notify-2'].map(exists)), [true, true]);
  });
});

describe('combining held writes', () => {
  test('placeholders move past the earlier statements, quoted text is left alone', () => {
    assert.equal(renumbered(`insert into "t$1" ("a", "b") values ($1, $2) -- '$3'`, 4), `insert into "t$1" ("a", "b") values ($5, $6) -- '$3'`);
    assert.equal(renumbered(`update "t" set "a" = 'it''s $1' where "id" = $1`, 2), `update "t" set "a" = 'it''s $1' where "id" = $3`);
  });

  test('one statement: writes as CTEs, selects joined into the main query, parameters in order', () => {
    const q = (text: string, ...parameters: unknown[]) => CompiledQuery.raw(text, parameters);
    const one = combine([q('insert into "a" ("x") values ($1)', 1), q('delete from "b" where "y" = $1', 2), q('select pg_notify($1, $2)', 'c', 'p')])!;
    assert.equal(one.sql, 'with w0 as (insert into "a" ("x") values ($1)), w1 as (delete from "b" where "y" = $2), s2 as (select pg_notify($3, $4)) select 1 from s2');
    assert.deepEqual(one.parameters, [1, 2, 'c', 'p']);
    assert.equal(combine([q('insert into "a" ("x") values ($1)', 1)])!.sql, 'insert into "a" ("x") values ($1)', 'one write runs as it is');
  });

  test('only writes that read nothing back can be held', () => {
    const batch = createWriteBatch();
    assert.throws(() => batch.add(CompiledQuery.raw('insert into "a" ("x") values ($1) returning "id"', [1])), /only insert/);
    assert.throws(() => batch.add(CompiledQuery.raw('select * from "a"', [])), /only insert/);
    batch.add(CompiledQuery.raw('select pg_notify($1, $2)', ['c', 'p']), { untilCommit: true });
    batch.add(CompiledQuery.raw('update "a" set "x" = $1', [1]));
    assert.equal(batch.take(false)?.sql, 'update "a" set "x" = $1', 'before a query: only what is not held for the commit');
    assert.equal(batch.take(true)?.sql, 'select pg_notify($1, $2)');
    assert.equal(batch.holds(), false);
  });
});
