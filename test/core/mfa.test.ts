import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as OTPAuth from 'otpauth';
import pino from 'pino';
import { loadConfig } from '../../src/core/config/load.js';
import { RampartError } from '../../src/core/errors.js';
import { createEventBus, type BusEvent } from '../../src/core/events/event-bus.js';
import { IDENTITY_CHANGED, type MfaService, type UserService } from '../../src/core/identity/identity.types.js';
import { createMfaService } from '../../src/core/identity/mfa/mfa.service.js';
import { generateKey, staticKeyring } from '../../src/core/secrets/keyring.js';
import { createSecretBox } from '../../src/core/secrets/secret-box.js';
import { migratedDatabase } from '../helpers/db.js';

/** The code an authenticator app shows for a secret at a moment. */
const codeAt = (secret: string, at: Date) => OTPAuth.TOTP.generate({ secret: OTPAuth.Secret.fromBase32(secret), timestamp: at.getTime() });

const rejectsWith = (status: number, message: RegExp) => (err: unknown) => {
  assert.ok(err instanceof RampartError, String(err));
  assert.equal(err.status, status);
  assert.match(err.message, message);
  return true;
};

describe('MFA service', () => {
  let env: Awaited<ReturnType<typeof migratedDatabase>>;
  let mfa: MfaService;
  let clock = new Date('2026-06-10T12:00:10Z');
  const events: BusEvent[] = [];
  const later = (seconds: number) => void (clock = new Date(clock.getTime() + seconds * 1000));

  before(async () => {
    env = await migratedDatabase();
    const logger = pino({ level: 'silent' });
    const config = loadConfig({ env: {}, cwd: env.dataDir, overrides: { data_dir: env.dataDir } });
    const bus = createEventBus({ db: env.db, logger, nodeId: 'mfa-test', now: () => clock });
    bus.subscribe(IDENTITY_CHANGED, (e) => void events.push(e));
    const secrets = createSecretBox(staticKeyring([generateKey()]));
    // MFA reads and writes the users table itself; it never calls the user service.
    mfa = createMfaService({ config, db: env.db, events: bus, secrets, logger, now: () => clock, users: {} as UserService });
  });
  after(() => env.cleanup());

  async function newUser(username = `u${randomUUID().slice(0, 8)}`) {
    const id = randomUUID();
    const ts = clock.toISOString();
    await env.db.kysely.insertInto('users').values({ id, username, status: 'active', created_at: ts, updated_at: ts } as never).execute();
    return id;
  }

  const stored = (id: string) => env.db.kysely.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  /** A user with MFA on; returns the secret and recovery codes. The enrollment code's step is spent. */
  async function enrolledUser() {
    const id = await newUser();
    const { secret } = await mfa.enroll(id);
    const { recovery_codes } = await mfa.verify(id, codeAt(secret, clock));
    return { id, secret, recovery_codes };
  }

  test('enrollment stores the secret sealed and pending; a current code activates it and returns ten recovery codes', async () => {
    const id = await newUser('carol');
    const { secret, provisioning_uri } = await mfa.enroll(id);
    assert.match(secret, /^[A-Z2-7]{32}$/);
    assert.equal(new URL(provisioning_uri).searchParams.get('secret'), secret);
    assert.match(decodeURIComponent(provisioning_uri), /^otpauth:\/\/totp\/Rampart:carol\?/);

    let row = await stored(id);
    assert.match(row.totp_pending_secret!, /^rs1\./);
    assert.ok(!row.totp_pending_secret!.includes(secret));
    assert.equal(env.db.dialect.fromBool(row.mfa_enabled), false, 'not on before a code proves the app has the secret');
    assert.equal(await mfa.checkCode(id, codeAt(secret, clock)), false, 'a pending secret does not sign anyone in');

    await assert.rejects(mfa.verify(id, '000000' === codeAt(secret, clock) ? '111111' : '000000'), rejectsWith(400, /invalid TOTP code/));
    const before = events.length;
    const { recovery_codes } = await mfa.verify(id, codeAt(secret, clock));
    assert.equal(recovery_codes.length, 10);
    row = await stored(id);
    assert.equal(env.db.dialect.fromBool(row.mfa_enabled), true);
    assert.equal(row.totp_pending_secret, null);
    assert.match(row.totp_secret!, /^rs1\./);
    assert.ok(!row.totp_secret!.includes(secret));
    const hashes = await env.db.kysely.selectFrom('recovery_codes').select('code_hash').where('user_id', '=', id).execute();
    assert.equal(hashes.length, 10);
    for (const { code_hash } of hashes) assert.ok(!recovery_codes.some((c) => code_hash.includes(c) || code_hash.includes(c.replaceAll('-', ''))));
    assert.ok(events.slice(before).some((e) => (e.payload as { user_id?: string }).user_id === id), 'IDENTITY_CHANGED published');

    await assert.rejects(mfa.enroll(id), rejectsWith(409, /already enabled/));
  });

  test('verify without an enrollment in progress is a client error', async () => {
    const id = await newUser();
    await assert.rejects(mfa.verify(id, '123456'), rejectsWith(400, /no TOTP enrollment in progress/));
  });

  test('a TOTP code is accepted once: the code used to enroll, or to sign in, is refused the second time', async () => {
    const { id, secret } = await enrolledUser();
    assert.equal(await mfa.checkCode(id, codeAt(secret, clock)), false, 'the enrollment code is spent');
    later(30);
    const next = codeAt(secret, clock);
    assert.equal(await mfa.checkCode(id, next), true);
    assert.equal(await mfa.checkCode(id, next), false, 'replayed');
  });

  test('once a later step is used, an older step is refused even within the drift window', async () => {
    const { id, secret } = await enrolledUser();
    later(60);
    const ahead = codeAt(secret, new Date(clock.getTime() + 30_000));
    const current = codeAt(secret, clock);
    assert.equal(await mfa.checkCode(id, ahead), true, 'one step of drift ahead is accepted');
    assert.equal(await mfa.checkCode(id, current), false, 'the older step cannot be used after the newer one');
  });

  test('two concurrent uses of one TOTP code: only one passes', async () => {
    const { id, secret } = await enrolledUser();
    later(30);
    const code = codeAt(secret, clock);
    const results = await Promise.all([mfa.checkCode(id, code), mfa.checkCode(id, code), mfa.checkCode(id, code)]);
    assert.equal(results.filter(Boolean).length, 1, JSON.stringify(results));
  });

  test('a recovery code works once, in any case and with or without dashes', async () => {
    const { id, recovery_codes } = await enrolledUser();
    const [first, second] = recovery_codes;
    assert.equal(await mfa.checkCode(id, first.toUpperCase().replaceAll('-', '')), true);
    assert.equal(await mfa.checkCode(id, first), false, 'used');
    assert.equal(await mfa.checkCode(id, second), true, 'the others still work');
    assert.equal(await mfa.checkCode(id, 'zzzz-zzzz-zzzz'), false, 'not one of the codes');
  });

  test('two concurrent uses of one recovery code: only one passes', async () => {
    const { id, recovery_codes } = await enrolledUser();
    const code = recovery_codes[3];
    const results = await Promise.all([mfa.checkCode(id, code), mfa.checkCode(id, code), mfa.checkCode(id, code)]);
    assert.equal(results.filter(Boolean).length, 1, JSON.stringify(results));
  });

  test("one user's recovery codes do not work for another", async () => {
    const a = await enrolledUser();
    const b = await enrolledUser();
    assert.equal(await mfa.checkCode(b.id, a.recovery_codes[0]), false);
  });

  test('disabling with a wrong code is refused; with a current code it removes the secret and the recovery codes', async () => {
    const { id, secret, recovery_codes } = await enrolledUser();
    later(30);
    await assert.rejects(mfa.disable(id, { code: 'aaaa-bbbb-cccc' }), rejectsWith(400, /invalid/));
    assert.equal(env.db.dialect.fromBool((await stored(id)).mfa_enabled), true);
    await mfa.disable(id, { code: codeAt(secret, clock) });
    const row = await stored(id);
    assert.equal(env.db.dialect.fromBool(row.mfa_enabled), false);
    assert.equal(row.totp_secret, null);
    const left = await env.db.kysely.selectFrom('recovery_codes').select('id').where('user_id', '=', id).execute();
    assert.equal(left.length, 0);
    assert.equal(await mfa.checkCode(id, recovery_codes[0]), false);
    await assert.rejects(mfa.disable(id, { code: codeAt(secret, clock) }), rejectsWith(400, /not enabled/));
  });

  test('a recovery code can disable MFA (a lost phone), and an administrator needs no code', async () => {
    const self = await enrolledUser();
    await mfa.disable(self.id, { code: self.recovery_codes[0] });
    assert.equal(env.db.dialect.fromBool((await stored(self.id)).mfa_enabled), false);

    const other = await enrolledUser();
    await mfa.disable(other.id, { byAdmin: true });
    assert.equal(env.db.dialect.fromBool((await stored(other.id)).mfa_enabled), false);
    const { secret } = await mfa.enroll(other.id);
    assert.match(secret, /^[A-Z2-7]{32}$/, 'the user can enroll again');
  });

  test('an unknown user is not found', async () => {
    await assert.rejects(mfa.enroll(randomUUID()), rejectsWith(404, /not found/));
  });
});
