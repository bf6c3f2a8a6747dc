/**
 * Identity provider settings for enrollment: OIDC with the Keycloak, Entra ID and Okta presets (each becomes the
 * issuer its IdP publishes), kept as the identity core's SSO providers with a write-only client secret; updates,
 * deletes, bad input, and who may manage them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';

describe('access identity provider settings: OIDC presets', () => {
  let r: TestRampart;
  let admin: SignedIn;
  const post = (body: object, who: SignedIn = admin) => r.app.inject({ method: 'POST', url: '/v1/admin/settings/providers', headers: who.headers, payload: body });
  const list = async () => (await r.app.inject({ method: 'GET', url: '/v1/admin/settings/providers', headers: admin.headers })).json().items as any[];

  before(async () => {
    r = await createTestRampart();
    admin = await signIn(r, { roles: ['admin'] });
  });
  after(() => r.cleanup());

  test('keycloak, entra, okta and plain oidc become issuers; the client secret is written, never shown', async () => {
    const cases: [object, string, string][] = [
      [{ type: 'keycloak', name: 'kc', base_url: 'https://sso.corp.example/', realm: 'corp' }, 'keycloak', 'https://sso.corp.example/realms/corp'],
      [{ type: 'entra', name: 'entra', directory_id: '0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d' }, 'entra', 'https://login.microsoftonline.com/0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d/v2.0'],
      [{ type: 'okta', name: 'okta', okta_domain: 'corp.okta.com', authorization_server: 'default' }, 'okta', 'https://corp.okta.com/oauth2/default'],
      [{ type: 'oidc', name: 'generic', issuer: 'https://idp.corp.example' }, 'oidc', 'https://idp.corp.example'],
    ];
    for (const [body, type, issuer] of cases) {
      const res = await post({ ...body, client_id: `${type}-client`, client_secret: `secret-of-${type}`, allowed_domains: ['corp.example'] });
      assert.equal(res.statusCode, 201, res.body);
      assert.deepEqual([res.json().type, res.json().issuer, res.json().client_secret_configured, res.json().groups_claim], [type, issuer, true, 'groups']);
      assert.ok(!res.body.includes(`secret-of-${type}`));
    }
    const items = await list();
    assert.deepEqual(items.filter((p) => p.type !== 'saml').map((p) => p.type).sort(), ['entra', 'keycloak', 'oidc', 'okta']);
    const listed = JSON.stringify(items);
    assert.ok(!listed.includes('secret-of-'), 'no secret in the list');
    const providers = await r.app.inject({ method: 'GET', url: '/v1/mobile/auth/oidc/providers' });
    assert.ok(providers.json().some((p: { issuer: string }) => p.issuer === 'https://sso.corp.example/realms/corp'), 'devices can enroll through it');

    const kc = items.find((p) => p.type === 'keycloak');
    const updated = await post({ type: 'keycloak', id: kc.id, realm: 'other', base_url: 'https://sso.corp.example', scopes: ['openid', 'email', 'profile'] });
    assert.equal(updated.statusCode, 200, updated.body);
    assert.equal(updated.json().issuer, 'https://sso.corp.example/realms/other');
    assert.equal(updated.json().client_secret_configured, true, 'an update without client_secret keeps it');
    const audited = await r.core.db.kysely.selectFrom('audit_events').select('details').where('action', '=', 'access.settings.provider.upsert').execute();
    assert.ok(!JSON.stringify(audited).includes('secret-of-'), 'the audit trail names no secret');

    const del = await r.app.inject({ method: 'DELETE', url: `/v1/admin/settings/providers/${kc.id}`, headers: admin.headers });
    assert.equal(del.statusCode, 204);
    assert.ok(!(await list()).some((p) => p.id === kc.id));
  });

  test('bad presets are 422 validation_error; OIDC providers need sso_provider:write and the default tenant', async () => {
    for (const body of [
      { type: 'keycloak', name: 'x', base_url: 'https://sso.corp.example', client_id: 'c' },
      { type: 'entra', name: 'x', directory_id: 'not a tenant', client_id: 'c' },
      { type: 'okta', name: 'x', okta_domain: 'https://corp.okta.com', client_id: 'c' },
      { type: 'oidc', name: 'x', issuer: 'http://plain.example', client_id: 'c' },
      { type: 'oidc', name: 'x', issuer: 'https://idp.example', client_id: 'c', idp_certs: ['x'.repeat(80)] },
      { type: 'saml', name: 'x', client_id: 'c' },
    ]) {
      const res = await post(body);
      assert.equal(res.statusCode, 422, `${JSON.stringify(body)}: ${res.body}`);
      assert.equal(res.json().error, 'validation_error');
    }
    const settingsOnly = await signIn(r, { permissions: ['access_settings:read', 'access_settings:write'] });
    const refused = await post({ type: 'oidc', name: 'x', issuer: 'https://idp.example', client_id: 'c' }, settingsOnly);
    assert.equal(refused.statusCode, 403);
    assert.match(refused.json().detail, /sso_provider:write/);
    const tenant = (await r.app.inject({ method: 'POST', url: '/v1/admin/tenants/lifecycle', headers: admin.headers, payload: { action: 'create', name: 'Other' } })).json().tenant;
    const other = await signIn(r, { roles: ['admin'] });
    await r.app.inject({ method: 'POST', url: '/v1/admin/tenants/lifecycle', headers: admin.headers, payload: { action: 'assign_admin', tenant_id: tenant.id, user_id: other.user.id } });
    assert.equal((await post({ type: 'oidc', name: 'x', issuer: 'https://idp.example', client_id: 'c' }, other)).statusCode, 403);
    assert.equal((await list()).filter((p) => p.name === 'x').length, 0);
  });
});
