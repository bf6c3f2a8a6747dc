import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { z } from 'zod';
import { defineRoute } from '../../src/http/route.js';
import { fleetServices } from '../../src/modules/fleet/fleet.services.js';
import type { RampartModule } from '../../src/modules/module.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';

const DAY = 24 * 3600 * 1000;

function ed25519() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('base64');
  return { publicKey, privateKey, raw, pem: publicKey.export({ format: 'pem', type: 'spki' }).toString() };
}

/** A license as the issuer would mint it. */
function mint(key: KeyObject, claims: Record<string, unknown>, alg = 'EdDSA') {
  return new SignJWT(claims).setProtectedHeader({ alg }).setIssuedAt().sign(key);
}

/** A route other parts would write: an enterprise feature behind license.require. */
const gatedModule: RampartModule = {
  name: 'license-probe',
  http: (core) => ({
    name: 'license-probe',
    routes: [
      defineRoute({
        method: 'GET', path: '/api/v1/license-probe/export', surface: 'fleet', permission: 'authenticated', summary: 'test', hidden: true,
        schema: { response: z.object({ ok: z.boolean() }) },
        handler: async () => {
          await fleetServices(core).license.require('audit_export');
          return { ok: true };
        },
      }),
    ],
  }),
};

describe('fleet license API', () => {
  const current = ed25519();
  const previous = ed25519();
  const stranger = ed25519();
  let clock = new Date('2026-12-01T00:00:00Z');
  let r: TestRampart;
  let admin: SignedIn;
  let viewer: SignedIn;
  let secAdmin: SignedIn;
  let auditor: SignedIn;

  before(async () => {
    r = await createTestRampart({ modules: [gatedModule], now: () => clock, overrides: { 'license.public_keys': [current.raw, previous.pem], 'license.fingerprint': 'rampart-test' } });
    admin = await signIn(r, { roles: ['admin'] });
    viewer = await signIn(r, { roles: ['viewer'] });
    secAdmin = await signIn(r, { roles: ['security_admin'] });
    auditor = await signIn(r, { roles: ['auditor'] });
  });
  after(() => r.cleanup());

  const call = (who: SignedIn | null, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
    r.app.inject({ method, url, headers: who ? who.headers : {}, ...(payload !== undefined ? { payload: payload as object } : {}) });
  const enterprise = (expiresAt: Date, extra: Record<string, unknown> = {}) =>
    mint(current.privateKey, { tier: 'enterprise', features: ['audit_export', 'temporal_queries'], customer_id: 'cust-42', fingerprint: 'rampart-test', expires_at: Math.floor(expiresAt.getTime() / 1000), ...extra });

  test('without a license: free tier, no_license; enterprise features answer 402 license.feature_unavailable', async () => {
    const anon = (await call(null, 'GET', '/api/v1/license')).json();
    assert.equal(anon.tier, 'free');
    assert.equal(anon.status, 'no_license');
    assert.ok(anon.features.includes('compliance_scanning'), 'the free features');
    assert.ok(!anon.features.includes('audit_export'));
    const gated = await call(viewer, 'GET', '/api/v1/license-probe/export');
    assert.equal(gated.statusCode, 402);
    assert.equal(gated.json().error.code, 'license.feature_unavailable');
    assert.equal(gated.json().error.fault, 'policy');
    const caps = (await call(null, 'GET', '/api/v1/capabilities')).json();
    assert.equal(caps.status, 'no_license');
    assert.equal(caps.capabilities.find((c: any) => c.id === 'audit_export').available, false);
    assert.equal(caps.capabilities.find((c: any) => c.id === 'compliance_scanning').available, true);
  });

  test('verify is a dry run naming what is wrong', async () => {
    const verify = async (license_jwt: string) => (await call(admin, 'POST', '/api/v1/admin/license:verify', { license_jwt })).json();
    const good = await verify(await enterprise(new Date(clock.getTime() + 90 * DAY)));
    assert.equal(good.verify_result, 'valid');
    assert.equal(good.is_valid, true);
    assert.equal(good.tier, 'enterprise');
    assert.deepEqual(good.features, ['audit_export', 'temporal_queries']);
    assert.deepEqual(good.warnings, []);
    assert.equal((await verify(await mint(stranger.privateKey, { tier: 'enterprise' }))).is_valid, false);
    assert.equal((await verify(await mint(stranger.privateKey, { tier: 'enterprise' }))).verify_result, 'signature_invalid');
    assert.equal((await verify('not.a.jwt')).verify_result, 'malformed_jwt');
    assert.equal((await verify(await enterprise(new Date(clock.getTime() + DAY), { fingerprint: 'another-site' }))).verify_result, 'fingerprint_mismatch');
    assert.equal((await verify(await enterprise(new Date(clock.getTime() - 40 * DAY)))).verify_result, 'expired');
    assert.equal((await call(null, 'GET', '/api/v1/license')).json().status, 'no_license', 'nothing was installed');
    assert.equal((await call(null, 'POST', '/api/v1/admin/license:verify', { license_jwt: 'x' })).statusCode, 401);
    assert.equal((await call(admin, 'POST', '/api/v1/admin/license:verify', { license_jwt: '  ' })).statusCode, 400);
    assert.equal((await call(admin, 'POST', '/api/v1/admin/license:verify', {})).statusCode, 400);
  });

  test('install needs license:install; a license that does not verify is 400 and changes nothing', async () => {
    const token = await enterprise(new Date(clock.getTime() + 10 * DAY));
    for (const who of [viewer, auditor]) assert.equal((await call(who, 'PUT', '/api/v1/admin/license', { license_jwt: token })).statusCode, 403);
    const refused = await call(admin, 'PUT', '/api/v1/admin/license', { license_jwt: await mint(stranger.privateKey, { tier: 'enterprise' }) });
    assert.equal(refused.statusCode, 400);
    assert.equal(refused.json().error.code, 'license.invalid');
    assert.equal((await call(null, 'GET', '/api/v1/license')).json().status, 'no_license');
    const installed = await call(secAdmin, 'PUT', '/api/v1/admin/license', { license_jwt: token });
    assert.equal(installed.statusCode, 200, installed.body);
    assert.equal(installed.json().status, 'active');
  });

  test('an active enterprise license opens its features; only system:read sees who holds it', async () => {
    assert.equal((await call(viewer, 'GET', '/api/v1/license-probe/export')).statusCode, 200);
    const anon = (await call(null, 'GET', '/api/v1/license')).json();
    for (const hidden of ['customer_id', 'fingerprint', 'issued_at', 'installed_at']) assert.ok(!(hidden in anon), `${hidden} is not shown anonymously`);
    assert.equal(anon.tier, 'enterprise');
    assert.equal(anon.status, 'active');
    assert.ok(anon.expires_at);
    const full = (await call(viewer, 'GET', '/api/v1/license')).json();
    assert.equal(full.customer_id, 'cust-42', 'system:read sees the full body');
    assert.equal(full.using_prev_key, false);
    const caps = (await call(null, 'GET', '/api/v1/capabilities')).json();
    assert.equal(caps.capabilities.find((c: any) => c.id === 'audit_export').available, true);
    assert.equal(caps.capabilities.find((c: any) => c.id === 'remediation_auto').available, false, 'only the features the license names');
  });

  test('after expiry: 30 days of grace with the features, then expired and free', async () => {
    clock = new Date(clock.getTime() + 15 * DAY);
    viewer = await signIn(r, { roles: ['viewer'] }); // sessions do not last weeks
    const grace = (await call(viewer, 'GET', '/api/v1/license')).json();
    assert.equal(grace.status, 'grace');
    assert.equal(grace.in_grace_period, true);
    assert.equal((await call(viewer, 'GET', '/api/v1/license-probe/export')).statusCode, 200);
    clock = new Date(clock.getTime() + 30 * DAY);
    viewer = await signIn(r, { roles: ['viewer'] });
    const expired = (await call(viewer, 'GET', '/api/v1/license')).json();
    assert.equal(expired.status, 'expired');
    assert.equal(expired.tier, 'free');
    assert.equal((await call(viewer, 'GET', '/api/v1/license-probe/export')).statusCode, 402);
  });

  test('a license signed with the previous key is accepted and says so; revoke returns to the free tier', async () => {
    [admin, secAdmin] = [await signIn(r, { roles: ['admin'] }), await signIn(r, { roles: ['security_admin'] })];
    const token = await mint(previous.privateKey, { tier: 'enterprise', features: ['audit_export'], expires_at: new Date(clock.getTime() + 30 * DAY).toISOString() });
    const installed = (await call(admin, 'PUT', '/api/v1/admin/license', { license_jwt: token })).json();
    assert.equal(installed.status, 'active');
    assert.equal(installed.using_prev_key, true);
    assert.equal((await call(secAdmin, 'DELETE', '/api/v1/admin/license')).statusCode, 403, 'security_admin holds license:install, not license:revoke');
    assert.equal((await call(admin, 'DELETE', '/api/v1/admin/license')).statusCode, 204);
    assert.equal((await call(null, 'GET', '/api/v1/license')).json().status, 'no_license');
    assert.equal((await call(viewer, 'GET', '/api/v1/license-probe/export')).statusCode, 402);
    const audit = await r.core.audit.list({ action: 'license.revoked', result: 'success' }, { limit: 5 });
    assert.equal(audit.items.length, 1);
  });
});
