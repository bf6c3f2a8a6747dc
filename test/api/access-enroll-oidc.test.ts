import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { startTestIdp, type TestIdp } from '../helpers/oidc-idp.js';
import { deviceInfo, wgPublicKey } from '../helpers/access-enroll.js';

/** Where a device agent listens for the IdP's redirect (it never receives one here: the test follows it). */
const REDIRECT = 'http://127.0.0.1:53682/callback';
const ACCOUNTS = {
  alice: { email: 'alice@example.com', email_verified: true, preferred_username: 'alice', name: 'Alice' },
  mallory: { email: 'mallory@evil.test', email_verified: true, preferred_username: 'mallory' },
};

describe('access enrollment through OIDC (a real OpenID Provider)', () => {
  let r: TestRampart;
  let idp: TestIdp;
  let providerId: string;

  before(async () => {
    r = await createTestRampart();
    idp = await startTestIdp(ACCOUNTS, 'idp-secret-for-tests');
    const provider = await r.core.identity.sso.create({
      name: 'corp', kind: 'oidc', issuer_url: idp.issuer, client_id: idp.clientId, client_secret: idp.clientSecret,
      scopes: ['openid', 'email', 'profile'], default_role: 'viewer', allowed_email_domains: ['example.com'], pkce_required: true,
    });
    providerId = provider.id;
    await idp.configure([REDIRECT]);
  });
  after(async () => {
    await idp?.close();
    await r?.cleanup();
  });

  /** What a device agent does before it calls Rampart: its own authorization request with PKCE, through the IdP. */
  async function deviceLogin(account: string) {
    const verifier = randomBytes(32).toString('base64url');
    const nonce = randomBytes(12).toString('base64url');
    const url = new URL(`${idp.issuer}/auth`);
    url.search = new URLSearchParams({
      client_id: idp.clientId, response_type: 'code', scope: 'openid email profile', redirect_uri: REDIRECT, state: randomBytes(8).toString('hex'), nonce,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
    }).toString();
    const back = new URL(await idp.login(url.href, account, REDIRECT));
    return { code: back.searchParams.get('code')!, code_verifier: verifier, nonce };
  }

  const enrollOidc = (payload: Record<string, unknown>) =>
    r.app.inject({ method: 'POST', url: '/v1/enroll/oidc', payload: { provider_id: providerId, redirect_uri: REDIRECT, public_key: wgPublicKey(), device: deviceInfo('phone'), ...payload } });

  test('the providers a client may enroll through, without secrets', async () => {
    const res = await r.app.inject({ method: 'GET', url: '/v1/mobile/auth/oidc/providers' });
    assert.equal(res.statusCode, 200);
    const [p] = res.json();
    assert.deepEqual({ id: p.id, type: p.type, issuer: p.issuer, client_id: p.client_id, pkce_required: p.pkce_required }, { id: providerId, type: 'oidc', issuer: idp.issuer, client_id: idp.clientId, pkce_required: true });
    assert.ok(!res.body.includes(idp.clientSecret));
  });

  test('a device enrolls with the code it got from the IdP and belongs to that user; the code works once', async () => {
    const login = await deviceLogin('alice');
    const res = await enrollOidc(login);
    assert.equal(res.statusCode, 201, res.body);
    const body = res.json();
    assert.match(body.device_token, /^rdt_/);
    const user = await r.core.identity.users.findByEmail('alice@example.com');
    assert.ok(user, 'the IdP user is linked (created on first sight)');
    assert.equal(body.user_id, user.id);
    const row = await r.core.db.kysely.selectFrom('access_devices').selectAll().where('id', '=', body.device_id).executeTakeFirstOrThrow();
    assert.equal(row.enrolled_via, 'oidc');
    const audit = await r.core.db.kysely.selectFrom('audit_events').selectAll().where('action', '=', 'access.device.enroll').where('resource_id', '=', body.device_id).executeTakeFirstOrThrow();
    assert.equal(audit.actor_id, user.id);

    const replay = await enrollOidc(login);
    assert.equal(replay.statusCode, 401, replay.body);
    assert.equal(replay.json().error, 'unauthorized');
  });

  test('refusals: a domain the provider is closed to (403), no PKCE verifier (422), a forged code (401), an unknown provider (404)', async () => {
    const outsider = await enrollOidc(await deviceLogin('mallory'));
    assert.equal(outsider.statusCode, 403, outsider.body);
    assert.equal(outsider.json().error, 'forbidden');
    const { code, nonce } = await deviceLogin('alice');
    const noPkce = await enrollOidc({ code, nonce });
    assert.equal(noPkce.statusCode, 422);
    assert.equal(noPkce.json().error, 'validation_error');
    const forged = await enrollOidc({ code: 'forged-code', code_verifier: 'v'.repeat(43) });
    assert.equal(forged.statusCode, 401);
    const unknown = await enrollOidc({ provider_id: '00000000-0000-4000-8000-0000000000ab', code: 'x', code_verifier: 'v'.repeat(43) });
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.json().error, 'not_found');
    const devices = await r.core.db.kysely.selectFrom('access_devices').select('id').execute();
    assert.equal(devices.length, 1, 'no refused enrollment left a device');
  });
});
