import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { cachedPostgresPool, cachedSqlite } from '../../src/core/db/statement-cache.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { createTestDatabase, postgresBaseUrl } from '../helpers/db.js';
import { signIn, type SignedIn } from '../helpers/identity.js';

describe('statement cache', () => {
  let r: TestRampart;
  let admin: SignedIn;
  let userId: string;
  before(async () => {
    r = await createTestRampart();
    admin = await signIn(r, { roles: ['admin'], username: 'cache-admin' });
    const created = await r.app.inject({ method: 'POST', url: '/api/v1/users', headers: admin.headers, payload: { username: 'cached-one', email: 'cached@example.com', password: 'a perfectly fine passphrase' } });
    assert.equal(created.statusCode, 201, created.body);
    userId = created.json().id;
  });
  after(() => r.cleanup());

  /** Reads and an audited write, as a console session makes them. */
  async function requests(round: number) {
    const calls = [
      { method: 'GET', url: '/api/v1/users?limit=10' },
      { method: 'GET', url: `/api/v1/users/${userId}` },
      { method: 'PATCH', url: `/api/v1/users/${userId}`, payload: { display_name: `Round ${round}` } },
      { method: 'GET', url: '/api/v1/auth/me' },
    ] as const;
    for (const call of calls) {
      const res = await r.app.inject({ ...call, headers: admin.headers });
      assert.equal(res.statusCode, 200, `${call.method} ${call.url}: ${res.body}`);
    }
  }

  test('repeated identical requests prepare no new statement, on either database', async () => {
    for (let round = 0; round < 2; round++) await requests(round); // the first ones prepare what they run
    const warm = r.core.db.statements();
    assert.ok(warm.prepares > 0 && warm.cached > 0, `the queries went through the cache: ${JSON.stringify(warm)}`);
    for (let round = 2; round < 12; round++) await requests(round);
    assert.equal(r.core.db.statements().prepares, warm.prepares, 'ten more rounds of the same requests prepared nothing');

    const user = await r.app.inject({ method: 'GET', url: `/api/v1/users/${userId}`, headers: admin.headers });
    assert.equal(user.json().display_name, 'Round 11', 'the reused statements bound each request its own values');
  });

  test('the prepare counter is exported to Prometheus', async () => {
    const text = await r.metrics.registry.metrics();
    const prepares = Number(/^rampart_db_statement_prepares_total (\d+)$/m.exec(text)?.[1]);
    assert.equal(prepares, r.core.db.statements().prepares);
    assert.match(text, /^rampart_db_statements_cached \d+$/m);
  });
});

describe('statement cache bounds', () => {
  test('SQLite keeps the most recently used statements up to its bound', () => {
    const sqlite = new Database(':memory:');
    const cache = cachedSqlite(sqlite, 2);
    try {
      for (const n of [1, 2, 1, 3]) assert.deepEqual(cache.prepare(`select ${n} as n`).all([]), [{ n }]);
      assert.deepEqual(cache.stats(), { prepares: 3, cached: 2 });
      cache.prepare('select 1 as n'); // kept: used more recently than 2
      assert.equal(cache.stats().prepares, 3);
      cache.prepare('select 2 as n'); // evicted by 3
      assert.equal(cache.stats().prepares, 4);
    } finally {
      cache.close();
    }
  });

  test('PostgreSQL closes a connection that reached the bound when it goes back to the pool', { skip: !postgresBaseUrl && 'PostgreSQL only' }, async () => {
    const pool = cachedPostgresPool(new pg.Pool({ connectionString: postgresBaseUrl, max: 1 }), 2);
    const backend = async () => {
      const client = await pool.connect();
      try {
        for (const n of [1, 2]) {
          const { rows } = (await client.query(`select $1::int + ${n} as n`, [1])) as { rows: { n: number }[] };
          assert.equal(rows[0].n, 1 + n);
        }
        return ((await client.query('select pg_backend_pid() as pid', [])) as { rows: { pid: number }[] }).rows[0].pid;
      } finally {
        client.release();
      }
    };
    try {
      const first = await backend(); // three statements prepared: over the bound of two
      assert.deepEqual(pool.stats(), { prepares: 3, cached: 3 });
      const second = await backend();
      assert.notEqual(second, first, 'the full connection was replaced');
      assert.deepEqual(pool.stats(), { prepares: 6, cached: 3 });
    } finally {
      await pool.end();
    }
  });

  test('PostgreSQL replaces a connection whose prepared statement a schema change made stale', { skip: !postgresBaseUrl && 'PostgreSQL only' }, async () => {
    const tdb = await createTestDatabase();
    const pool = cachedPostgresPool(new pg.Pool({ connectionString: tdb.url, max: 1 }));
    const run = async (text: string, values: unknown[] = []) => {
      const client = await pool.connect();
      try {
        return ((await client.query(text, values)) as { rows: Record<string, unknown>[] }).rows;
      } finally {
        client.release();
      }
    };
    try {
      await run('create table probe (a int)');
      await run('insert into probe (a) values ($1)', [1]);
      assert.deepEqual(await run('select * from probe'), [{ a: 1 }]);
      await run('alter table probe add column b int'); // as another node's migration would
      await assert.rejects(run('select * from probe'), /cached plan must not change result type/);
      assert.deepEqual(await run('select * from probe'), [{ a: 1, b: null }], 'the next request runs on a fresh connection');
    } finally {
      await pool.end();
      await tdb.cleanup();
    }
  });
});
