import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import * as OTPAuth from 'otpauth';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { onPostgres } from '../helpers/db.js';
import { signIn } from '../helpers/identity.js';

/** The code an authenticator app shows for a secret at a moment. */
const codeAt = (secret: string, at: Date) => OTPAuth.TOTP.generate({ secret: OTPAuth.Secret.fromBase32(secret), timestamp: at.getTime() });
/** A six-digit code that is not the current one. */
const wrongCode = (secret: string, at: Date) => (codeAt(secret, at) === '000000' ? '111111' : '000000');

describe('MFA enrollment, verification and disabling on every surface', () => {
  let r: TestRampart;
  let clock = new Date('2026-06-10T12:00:10Z');
  const later = (seconds: number) => void (clock = new Date(clock.getTime() + seconds * 1000));
  /** Every secret handed out, to look for in later responses and in the database. */
  const secrets: string[] = [];

  before(async () => {
    r = await createTestRampart({ now: () => clock });
  });
  after(() => r.cleanup());

  const post = (url: string, headers: Record<string, string>, payload?: object) =>
    r.app.inject({ method: 'POST', url, headers, ...(payload ? { payload } : {}) });
  const mfaEnabled = async (userId: string) => (await r.core.identity.users.get(userId)).mfa_enabled;

  async function auditRows(action: string, userId: string) {
    return (await r.core.audit.list({ action, resourceId: userId }, { limit: 50 })).items;
  }

  test('fleet: mfa:enroll returns a provisioning URI and the secret; mfa:verify with the current otp turns MFA on', async () => {
    const { user, headers } = await signIn(r, { username: 'fleet-mfa' });
    const enrolled = await post('/api/v1/auth/mfa:enroll', headers);
    assert.equal(enrolled.statusCode, 200, enrolled.body);
    const { secret, provisioning_uri } = enrolled.json();
    secrets.push(secret);
    const uri = new URL(provisioning_uri);
    assert.equal(uri.protocol, 'otpauth:');
    assert.equal(uri.searchParams.get('secret'), secret);
    assert.match(decodeURIComponent(uri.pathname), /^\/Rampart:fleet-mfa$/);

    const wrong = await post('/api/v1/auth/mfa:verify', headers, { otp: wrongCode(secret, clock) });
    assert.equal(wrong.statusCode, 400);
    assert.match(wrong.json().error.human_message, /invalid TOTP code/);
    assert.equal(await mfaEnabled(user.id), false);

    const verified = await post('/api/v1/auth/mfa:verify', headers, { otp: codeAt(secret, clock) });
    assert.equal(verified.statusCode, 200, verified.body);
    const { recovery_codes } = verified.json();
    assert.equal(recovery_codes.length, 10);
    assert.equal(await mfaEnabled(user.id), true);

    const again = await post('/api/v1/auth/mfa:enroll', headers);
    assert.equal(again.statusCode, 409, 'a second enrollment needs MFA disabled first');
    assert.equal(again.json().error.code, 'conflict');

    const results = async (action: string) => (await auditRows(action, user.id)).map((e) => e.result).sort();
    assert.deepEqual(await results('identity.mfa.enroll'), ['failure', 'success'], 'the refused second enrollment is audited too');
    assert.deepEqual(await results('identity.mfa.verify'), ['failure', 'success']);
  });

  test('fleet: verify without an enrollment in progress is a 400', async () => {
    const { headers } = await signIn(r);
    const res = await post('/api/v1/auth/mfa:verify', headers, { otp: '123456' });
    assert.equal(res.statusCode, 400);
    assert.match(res.json().error.human_message, /no TOTP enrollment in progress/);
  });

  test('edge: totp/setup, totp/verify, then totp/disable needs a valid code and answers 204', async () => {
    const { user, headers } = await signIn(r, { username: 'edge-mfa' });
    const setup = await post('/api/v1/auth/totp/setup', headers);
    assert.equal(setup.statusCode, 200, setup.body);
    const { secret, provisioning_uri, recovery_codes } = setup.json();
    secrets.push(secret);
    assert.equal(new URL(provisioning_uri).searchParams.get('secret'), secret);
    assert.equal(recovery_codes.length, 10, 'AiFw shows the recovery codes at setup');

    const verified = await post('/api/v1/auth/totp/verify', headers, { code: codeAt(secret, clock) });
    assert.equal(verified.statusCode, 200, verified.body);
    assert.deepEqual(verified.json().recovery_codes, recovery_codes, 'verify answers the codes setup issued (the console shows them here)');

    later(30);
    const wrong = await post('/api/v1/auth/totp/disable', headers, { code: wrongCode(secret, clock) });
    assert.equal(wrong.statusCode, 400);
    assert.deepEqual(Object.keys(wrong.json()), ['error']);
    assert.equal(await mfaEnabled(user.id), true, 'a wrong code does not disable MFA');

    const disabled = await post('/api/v1/auth/totp/disable', headers, { code: codeAt(secret, clock) });
    assert.equal(disabled.statusCode, 204, disabled.body);
    assert.equal(disabled.body, '');
    assert.equal(await mfaEnabled(user.id), false);
    const rows = await auditRows('identity.mfa.disable', user.id);
    assert.deepEqual(rows.map((e) => e.result).sort(), ['failure', 'success']);
    assert.deepEqual(rows.find((e) => e.result === 'success')!.details, { by_admin: false });
  });

  test('edge: a recovery code from setup can disable MFA (a lost phone); a second setup replaces the first codes', async () => {
    const { user, headers } = await signIn(r);
    const first = (await post('/api/v1/auth/totp/setup', headers)).json();
    const { secret, recovery_codes } = (await post('/api/v1/auth/totp/setup', headers)).json();
    secrets.push(first.secret, secret);
    assert.equal((await post('/api/v1/auth/totp/verify', headers, { code: codeAt(secret, clock) })).statusCode, 200);
    const stale = await post('/api/v1/auth/totp/disable', headers, { code: first.recovery_codes[0] });
    assert.equal(stale.statusCode, 400, "the replaced setup's codes are void");
    assert.equal(await mfaEnabled(user.id), true);
    const res = await post('/api/v1/auth/totp/disable', headers, { code: recovery_codes[0] });
    assert.equal(res.statusCode, 204, res.body);
    assert.equal(await mfaEnabled(user.id), false);
  });

  test('access: an administrator enrolls, verifies and disables MFA for a user; the disable is audited as an admin action', async () => {
    const admin = await signIn(r, { permissions: ['user:write'] });
    const { user } = await signIn(r, { username: 'access-mfa' });

    const enrolled = await post('/v1/admin/users/totp/enroll', admin.headers, { user_id: user.id });
    assert.equal(enrolled.statusCode, 200, enrolled.body);
    const { secret, provisioning_uri } = enrolled.json();
    secrets.push(secret);
    assert.match(decodeURIComponent(provisioning_uri), /Rampart:access-mfa\?/);

    const wrong = await post('/v1/admin/users/totp/verify', admin.headers, { user_id: user.id, code: wrongCode(secret, clock) });
    assert.equal(wrong.statusCode, 400);
    assert.equal(wrong.json().error, 'bad_request');

    const verified = await post('/v1/admin/users/totp/verify', admin.headers, { user_id: user.id, code: codeAt(secret, clock) });
    assert.equal(verified.statusCode, 200, verified.body);
    assert.equal(verified.json().recovery_codes.length, 10);
    assert.equal(await mfaEnabled(user.id), true);

    const disabled = await post('/v1/admin/users/totp/disable', admin.headers, { user_id: user.id });
    assert.equal(disabled.statusCode, 204, disabled.body);
    assert.equal(await mfaEnabled(user.id), false);
    const [row] = await auditRows('identity.mfa.disable', user.id);
    assert.equal(row.actor_id, admin.user.id);
    assert.deepEqual(row.details, { by_admin: true });
  });

  test('access: an unknown user is a 404', async () => {
    const admin = await signIn(r, { permissions: ['user:write'] });
    const res = await post('/v1/admin/users/totp/enroll', admin.headers, { user_id: '00000000-0000-4000-8000-000000000000' });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().error, 'not_found');
  });

  test('no later response and no audit row contains a TOTP secret', async () => {
    assert.ok(secrets.length >= 4);
    const admin = await signIn(r, { roles: ['admin'] });
    const reads = ['/api/v1/auth/me', '/api/v1/users', '/api/v1/auth/users', '/v1/admin/users', '/api/v1/audit/events?limit=200', '/api/v1/auth/audit?limit=200'];
    for (const url of reads) {
      const res = await r.app.inject({ method: 'GET', url, headers: admin.headers });
      assert.equal(res.statusCode, 200, `${url}: ${res.body.slice(0, 200)}`);
      for (const secret of secrets) assert.ok(!res.body.includes(secret), `${url} leaks a TOTP secret`);
    }
    const { items } = await r.core.audit.list({}, { limit: 200 });
    const trail = JSON.stringify(items);
    for (const secret of secrets) assert.ok(!trail.includes(secret));
  });

  test('the database holds TOTP secrets only sealed: a copy of the file does not contain them', async () => {
    const { user, headers } = await signIn(r);
    const { secret } = (await post('/api/v1/auth/mfa:enroll', headers)).json();
    secrets.push(secret);
    await post('/api/v1/auth/mfa:verify', headers, { otp: codeAt(secret, clock) });
    const pending = await signIn(r);
    secrets.push((await post('/api/v1/auth/mfa:enroll', pending.headers)).json().secret); // never verified: stays pending
    if (onPostgres) {
      const rows = await r.core.db.kysely.selectFrom('users').select(['id', 'totp_secret', 'totp_pending_secret']).execute();
      const sealed = rows.flatMap((row) => [row.totp_secret, row.totp_pending_secret]).filter((v): v is string => v !== null);
      assert.ok(rows.find((row) => row.id === user.id)?.totp_secret, 'the enrolled secret is stored');
      assert.ok(sealed.length >= 2);
      for (const value of sealed) {
        assert.match(value, /^rs1\./);
        for (const s of secrets) assert.ok(!value.includes(s));
      }
      return;
    }
    const file = `${r.tdb.dataDir}/rampart.db`;
    const bytes = [file, `${file}-wal`].filter(existsSync).map((f) => readFileSync(f).toString('latin1')).join('');
    assert.ok(bytes.length > 0);
    assert.ok(bytes.includes('rs1.'), 'sealed values are in the file');
    for (const s of secrets) assert.ok(!bytes.includes(s), 'a plaintext TOTP secret is in the database file');
  });
});
