import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';

/**
 * The argon2 overload rule: one hash runs per core (at most 3), and one that would wait longer than
 * auth.argon2_max_wait_ms for its turn is answered 503 with Retry-After, changing nothing.
 * Hashes here cost far more than the 10 ms limit, so a burst larger than the slots always has one refused.
 */
describe('password hashing under overload', () => {
  let r: TestRampart;
  let admin: SignedIn;
  const burst = Math.min(availableParallelism(), 3) + 2;

  before(async () => {
    r = await createTestRampart({
      overrides: { 'auth.argon2_memory_kib': 65_536, 'auth.argon2_time_cost': 8, 'auth.argon2_max_wait_ms': 10, 'auth.login_rate_limit_per_minute': 10_000 },
    });
    admin = await signIn(r, { roles: ['admin'], username: 'overload-admin' });
  });
  after(() => r.cleanup());

  const create = (n: number) =>
    r.app.inject({ method: 'POST', url: '/api/v1/users', headers: admin.headers, payload: { username: `burst-${n}`, email: `burst-${n}@example.com`, password: `burst ${n} passphrase` } });

  test('a burst of user creates: those past the wait limit get 503 with Retry-After in the envelope, and no user', async () => {
    const answers = await Promise.all(Array.from({ length: burst }, (_, n) => create(n)));
    const refused = answers.flatMap((res, n) => (res.statusCode === 503 ? [n] : []));
    assert.ok(refused.length > 0, `a burst of ${burst} had one refused: ${answers.map((a) => a.statusCode)}`);
    for (const [n, res] of answers.entries()) {
      if (refused.includes(n)) continue;
      assert.equal(res.statusCode, 201, res.body);
    }
    const res = answers[refused[0]];
    assert.equal(res.headers['retry-after'], '1');
    assert.match(res.body, /too many password checks at once/);
    for (const n of refused) assert.equal(await r.core.identity.users.findRowByUsername(`burst-${n}`), undefined, 'a refused create stored nothing');
    // Once the burst is over, the same request goes through.
    assert.equal((await create(refused[0])).statusCode, 201);
  });

  test('a login refused for overload is not a failed attempt: the account is not throttled by it', async () => {
    const logins = await Promise.all(
      Array.from({ length: burst * 2 }, () => r.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'burst-0', password: 'wrong but refused first' } })),
    );
    assert.ok(logins.some((res) => res.statusCode === 503), `some were refused: ${logins.map((l) => l.statusCode)}`);
    const ok = await r.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'burst-0', password: 'burst 0 passphrase' } });
    assert.equal(ok.statusCode, 200, ok.body);
  });
});
