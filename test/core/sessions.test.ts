import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { RampartError } from '../../src/core/errors.js';
import type { BusEvent } from '../../src/core/events/event-bus.js';
import { IDENTITY_CHANGED, type Identity } from '../../src/core/identity/identity.types.js';
import { createLockout, type Lockout, type LoginAttempt } from '../../src/core/identity/sessions/lockout.js';
import { sourceOf } from '../../src/core/identity/sessions/throttle-keys.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';

const rejectsWith = (status: number, code?: string) => (err: unknown) => {
  assert.ok(err instanceof RampartError, String(err));
  assert.equal(err.status, status);
  if (code) assert.equal(err.code, code);
  return true;
};
const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

describe('sessions: refresh token families', () => {
  let r: TestRampart;
  let identity: Identity;
  let clock = new Date('2026-06-10T12:00:00Z');
  const later = (seconds: number) => void (clock = new Date(clock.getTime() + seconds * 1000));
  const events: BusEvent[] = [];
  let n = 0;

  before(async () => {
    r = await createTestRampart({ now: () => clock });
    identity = r.core.identity;
    r.core.events.subscribe(IDENTITY_CHANGED, (e) => void events.push(e));
  });
  after(() => r.cleanup());

  const newUser = () => identity.users.create({ username: `s${++n}-user`, password: 'correct horse battery staple' });
  const open = async () => {
    const user = await newUser();
    return { user, pair: await identity.sessions.open(user.id, { method: 'password', clientIp: '10.0.0.1', userAgent: 'ua' }) };
  };

  test('open mints an access JWT naming the session and an opaque refresh token stored only as its hash', async () => {
    const { user, pair } = await open();
    assert.equal(pair.token_type, 'Bearer');
    assert.equal(pair.expires_in, 900);
    const claims = await identity.keyset.verify(pair.access_token);
    assert.equal(claims.sub, user.id);
    assert.equal(claims.sid, pair.session_id);
    assert.equal(claims.typ, 'access');
    assert.ok(claims.jti);
    assert.equal(claims.exp! - claims.iat!, 900);
    assert.match(pair.refresh_token, /^[A-Za-z0-9_-]{43}$/);

    const rows = await r.core.db.kysely.selectFrom('refresh_tokens').selectAll().where('session_id', '=', pair.session_id).execute();
    assert.equal(rows.length, 1);
    assert.equal(rows[0].token_hash, sha256(pair.refresh_token));
    assert.ok(!JSON.stringify(rows).includes(pair.refresh_token));

    const session = await identity.sessions.get(pair.session_id);
    assert.equal(session?.client_ip, '10.0.0.1');
    assert.equal(Date.parse(session!.expires_at) - clock.getTime(), 30 * 86_400 * 1000, 'the refresh ttl of the settings');
  });

  test('refresh rotates the pair within the session; the old refresh token no longer works', async () => {
    const { user, pair } = await open();
    const next = await identity.sessions.refresh(pair.refresh_token, {});
    assert.equal(next.session_id, pair.session_id);
    assert.equal(next.user_id, user.id);
    assert.notEqual(next.refresh_token, pair.refresh_token);
    assert.notEqual(next.access_token, pair.access_token);
    const third = await identity.sessions.refresh(next.refresh_token, {});
    assert.equal(third.session_id, pair.session_id);
  });

  test('presenting a used refresh token revokes the whole family: the newer pair dies too', async () => {
    const { user, pair } = await open();
    const next = await identity.sessions.refresh(pair.refresh_token, {});
    events.length = 0;

    await assert.rejects(identity.sessions.refresh(pair.refresh_token, {}), rejectsWith(401, 'refresh_token_reused'));
    const session = await identity.sessions.get(pair.session_id);
    assert.ok(session?.revoked_at, 'the session is revoked');
    assert.deepEqual(events.map((e) => e.payload), [{ session_id: pair.session_id, user_id: user.id }]);
    await assert.rejects(identity.sessions.refresh(next.refresh_token, {}), rejectsWith(401));
  });

  test('unknown, expired and revoked refresh tokens are 401s', async () => {
    await assert.rejects(identity.sessions.refresh('nope', {}), rejectsWith(401));
    const { pair } = await open();
    await identity.sessions.revoke(pair.session_id, 'test');
    await assert.rejects(identity.sessions.refresh(pair.refresh_token, {}), rejectsWith(401));

    const user = await newUser();
    const short = await identity.sessions.open(user.id, { method: 'password', ttlSeconds: 600 });
    later(601);
    await assert.rejects(identity.sessions.refresh(short.refresh_token, {}), rejectsWith(401));
  });

  test("a suspended user's refresh token stops working", async () => {
    const { user, pair } = await open();
    await identity.users.suspend(user.id);
    await assert.rejects(identity.sessions.refresh(pair.refresh_token, {}), rejectsWith(401));
  });

  test('the cookie token lasts the session ttl, or what is left of the session when that is less', async () => {
    const user = await newUser();
    const long = await identity.sessions.open(user.id, { method: 'password' });
    const cookie = await identity.sessions.cookieToken(long.session_id);
    assert.equal(cookie.maxAgeSeconds, 8 * 3600);
    const claims = await identity.keyset.verify(cookie.token);
    assert.deepEqual([claims.typ, claims.sid, claims.sub], ['session', long.session_id, user.id]);

    const short = await identity.sessions.open(user.id, { method: 'sso', ttlSeconds: 1200 });
    later(200);
    assert.equal((await identity.sessions.cookieToken(short.session_id)).maxAgeSeconds, 1000);
    await identity.sessions.revoke(short.session_id, 'test');
    await assert.rejects(identity.sessions.cookieToken(short.session_id), rejectsWith(401));
  });

  test('list shows live sessions; revokeAllForUser spares the one asked for and announces the change', async () => {
    const user = await newUser();
    const a = await identity.sessions.open(user.id, { method: 'password' });
    const b = await identity.sessions.open(user.id, { method: 'password' });
    const c = await identity.sessions.open(user.id, { method: 'password' });
    assert.deepEqual((await identity.sessions.list(user.id)).map((s) => s.id).sort(), [a, b, c].map((p) => p.session_id).sort());
    events.length = 0;
    assert.equal(await identity.sessions.revokeAllForUser(user.id, 'test', b.session_id), 2);
    assert.deepEqual((await identity.sessions.list(user.id)).map((s) => s.id), [b.session_id]);
    assert.deepEqual(events.map((e) => e.payload), [{ user_id: user.id }]);
    await assert.rejects(identity.sessions.revoke('0d6f1b56-0000-4000-8000-000000000000', 'x'), rejectsWith(404));
  });
});

describe('login throttling', () => {
  let r: TestRampart;
  let clock = new Date('2026-06-10T12:00:00Z');
  const later = (seconds: number) => void (clock = new Date(clock.getTime() + seconds * 1000));
  let n = 0;
  /** A username no other test in this file has charged. */
  const fresh = () => `user-${++n}`;

  before(async () => {
    r = await createTestRampart({
      now: () => clock,
      overrides: { 'auth.lockout_source_threshold': 12, 'auth.lockout_account_ceiling': 30 },
    });
  });
  after(() => r.cleanup());

  const lockout = () => createLockout({ ...r.core, settings: r.core.identity.settings } as never);
  const from = (clientIp: string, username: string) => ({ username, clientIp });
  const waits = async (l: Lockout, attempt: LoginAttempt, times: number) => {
    const seconds: number[] = [];
    for (let i = 0; i < times; i++) seconds.push((await l.recordFailure(attempt)).retryAfterSeconds);
    return seconds;
  };

  test('5 failures of one account from one address make that pair wait, doubling per failure up to lockout_minutes', async () => {
    const l = lockout();
    const name = fresh();
    assert.deepEqual(await waits(l, from('10.1.0.1', name), 4), [0, 0, 0, 0]);
    assert.deepEqual(await l.recordFailure(from('10.1.0.1', name.toUpperCase())), { retryAfterSeconds: 5, scope: 'account_source' });
    assert.deepEqual(await l.check(from('10.1.0.1', name)), { retryAfterSeconds: 5, scope: 'account_source' });
    assert.deepEqual(await l.check(from('10.1.0.2', name)), { retryAfterSeconds: 0, scope: null }, 'another address is not held up');
    assert.deepEqual(await waits(l, from('10.1.0.1', name), 6), [10, 20, 40, 80, 160, 320]);
    assert.deepEqual(await waits(l, from('10.1.0.1', name), 3), [640, 900, 900], 'capped at lockout_minutes (15)');
  });

  test("a success forgets its own pair's failures only; failures are forgotten 2 x lockout_minutes after the last", async () => {
    const l = lockout();
    const name = fresh();
    await waits(l, from('10.2.0.1', name), 4);
    await l.recordSuccess(from('10.2.0.1', name));
    assert.deepEqual(await waits(l, from('10.2.0.1', name), 4), [0, 0, 0, 0], 'the count started again');
    later(30 * 60);
    assert.equal((await l.recordFailure(from('10.2.0.1', name))).retryAfterSeconds, 0, 'the earlier four no longer count');
  });

  test('one address failing across many accounts makes that address wait, for every account', async () => {
    const l = lockout();
    for (let i = 0; i < 11; i++) assert.equal((await l.recordFailure(from('10.3.0.1', fresh()))).retryAfterSeconds, 0);
    assert.deepEqual(await l.recordFailure(from('10.3.0.1', fresh())), { retryAfterSeconds: 5, scope: 'source' });
    assert.deepEqual(await l.check(from('10.3.0.1', fresh())), { retryAfterSeconds: 5, scope: 'source' });
    assert.equal((await l.check(from('10.3.0.2', fresh()))).retryAfterSeconds, 0);
  });

  test('the account ceiling: failures from very many addresses slow every address for that account', async () => {
    const l = lockout();
    const name = fresh();
    for (let i = 1; i < 30; i++) assert.equal((await l.recordFailure(from(`10.4.0.${i}`, name))).retryAfterSeconds, 0);
    assert.deepEqual(await l.recordFailure(from('10.4.0.30', name)), { retryAfterSeconds: 5, scope: 'account' });
    assert.deepEqual(await l.check(from('10.4.1.1', name)), { retryAfterSeconds: 5, scope: 'account' });
    assert.equal((await l.check(from('10.4.1.1', fresh()))).retryAfterSeconds, 0, 'other accounts are not affected');
  });

  test('IPv6 addresses count by their /64; IPv4-mapped addresses as the IPv4 address', async () => {
    assert.equal(sourceOf('2001:db8:1:2:aaaa::1'), sourceOf('2001:0db8:0001:0002:ffff:1:2:3'));
    assert.notEqual(sourceOf('2001:db8:1:2::1'), sourceOf('2001:db8:1:3::1'));
    assert.equal(sourceOf('::ffff:198.51.100.7'), '198.51.100.7');
    const l = lockout();
    const name = fresh();
    await waits(l, from('2001:db8:5:5::1', name), 5);
    assert.equal((await l.check(from('2001:db8:5:5:9::9', name))).retryAfterSeconds, 5);
  });

  test('threshold and cap follow the auth settings; threshold 0 turns throttling off', async () => {
    const l = lockout();
    await r.core.identity.settings.update({ lockout_threshold: 2, lockout_minutes: 1 });
    const name = fresh();
    assert.deepEqual(await waits(l, from('10.5.0.1', name), 6), [0, 5, 10, 20, 40, 60]);
    await r.core.identity.settings.update({ lockout_threshold: 0 });
    assert.deepEqual(await waits(l, from('10.5.0.2', fresh()), 20), Array(20).fill(0));
    await r.core.identity.settings.update({ lockout_threshold: 5, lockout_minutes: 15 });
  });
});
