import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';
import { signingCertificate, startTestSamlIdp, type TestSamlIdp } from '../helpers/saml-idp.js';
import { deviceInfo, wgPublicKey } from '../helpers/access-enroll.js';

const SP = 'https://rampart.example.test/saml';
const ACS = 'https://rampart.example.test/v1/enroll/saml';

describe('access enrollment through SAML (responses signed as an IdP signs them)', () => {
  let r: TestRampart;
  let admin: SignedIn;
  let idp: TestSamlIdp;
  let providerId: string;

  before(async () => {
    r = await createTestRampart();
    admin = await signIn(r, { roles: ['admin'] });
    idp = await startTestSamlIdp();
  });
  after(() => r.cleanup());

  const post = (url: string, payload: object, who: SignedIn | null = admin) => r.app.inject({ method: 'POST', url, headers: who?.headers ?? {}, payload });
  const enrollSaml = (samlResponse: string, extra: object = {}) =>
    post('/v1/enroll/saml', { provider_id: providerId, saml_response: samlResponse, public_key: wgPublicKey(), device: deviceInfo('saml-laptop'), ...extra }, null);
  const deviceCount = async () => (await r.core.db.kysely.selectFrom('access_devices').select('id').execute()).length;

  test('an admin configures the SAML provider; OIDC ones are listed beside it; bad input is 422, a name clash 409', async () => {
    const created = await post('/v1/admin/settings/providers', {
      type: 'saml', name: 'corp-saml', entity_id: idp.entityId, idp_certs: [idp.certPem], sp_entity_id: SP, acs_url: ACS, allowed_domains: ['example.com'],
    });
    assert.equal(created.statusCode, 201, created.body);
    providerId = created.json().id;
    assert.equal(created.json().enabled, true);
    await r.core.identity.sso.create({ name: 'corp-oidc', kind: 'oidc', issuer_url: 'http://127.0.0.1:9/', client_id: 'x', client_secret: 'hidden-secret' });
    const listed = await r.app.inject({ method: 'GET', url: '/v1/admin/settings/providers', headers: admin.headers });
    assert.deepEqual(listed.json().items.map((p: { name: string; type: string }) => `${p.type}:${p.name}`).sort(), ['oidc:corp-oidc', 'saml:corp-saml']);
    assert.ok(!listed.body.includes('hidden-secret'));

    assert.equal((await post('/v1/admin/settings/providers', { type: 'saml', name: 'x', entity_id: 'e', idp_certs: ['-----BEGIN CERTIFICATE-----not a certificate at all, only words-----END CERTIFICATE-----'], sp_entity_id: SP })).statusCode, 422);
    assert.equal((await post('/v1/admin/settings/providers', { type: 'oidc', name: 'y' })).statusCode, 422);
    const clash = await post('/v1/admin/settings/providers', { type: 'saml', name: 'corp-saml', entity_id: 'other', idp_certs: [idp.certPem], sp_entity_id: SP });
    assert.equal(clash.statusCode, 409);
    const viewer = await signIn(r, { roles: ['viewer'] });
    assert.equal((await post('/v1/admin/settings/providers', { type: 'saml', name: 'z' }, viewer)).statusCode, 403);
    const audit = await r.core.db.kysely.selectFrom('audit_events').selectAll().where('action', '=', 'access.settings.provider.upsert').where('resource_id', '=', providerId).execute();
    assert.equal(audit.length, 1);
  });

  test('a signed response enrolls a device for the user it names (created on first sight); the same response never twice', async () => {
    const response = idp.response({ email: 'Carol@Example.com', audience: SP, acs: ACS });
    const res = await enrollSaml(response);
    assert.equal(res.statusCode, 201, res.body);
    const user = await r.core.identity.users.findByEmail('carol@example.com');
    assert.ok(user);
    assert.equal(res.json().user_id, user.id);
    assert.deepEqual(user.roles, [], 'a SAML-enrolled user gets device access, not console roles');
    const row = await r.core.db.kysely.selectFrom('access_devices').selectAll().where('id', '=', res.json().device_id).executeTakeFirstOrThrow();
    assert.equal(row.enrolled_via, 'saml');
    const replay = await enrollSaml(response);
    assert.equal(replay.statusCode, 401);
    assert.match(replay.json().detail, /used already/);
    assert.equal((await enrollSaml(idp.response({ email: 'carol@example.com', audience: SP, acs: ACS }))).json().user_id, user.id, 'the same user again');
  });

  test('refusals: forged signature, tampered assertion, unsigned, wrong audience, wrong issuer, expired (401); foreign domain (403); unknown provider (404)', async () => {
    const before = await deviceCount();
    const forger = await signingCertificate('Forger');
    const cases: [string, string][] = [
      ['forged', idp.response({ email: 'dave@example.com', audience: SP, acs: ACS, signWith: forger })],
      ['tampered', idp.response({ email: 'dave@example.com', audience: SP, acs: ACS, tamperEmail: 'boss@example.com' })],
      ['unsigned', idp.response({ email: 'dave@example.com', audience: SP, acs: ACS, unsigned: true })],
      ['audience', idp.response({ email: 'dave@example.com', audience: 'https://someone-else.test', acs: ACS })],
      ['issuer', idp.response({ email: 'dave@example.com', audience: SP, acs: ACS, issuer: 'https://evil.test/idp' })],
      ['expired', idp.response({ email: 'dave@example.com', audience: SP, acs: ACS, validForMs: -5 * 60_000 })],
      ['garbage', Buffer.from('<not-saml/>').toString('base64')],
    ];
    for (const [what, response] of cases) {
      const res = await enrollSaml(response);
      assert.equal(res.statusCode, 401, `${what}: ${res.body}`);
      assert.equal(res.json().error, 'unauthorized');
    }
    const foreign = await enrollSaml(idp.response({ email: 'eve@elsewhere.test', audience: SP, acs: ACS }));
    assert.equal(foreign.statusCode, 403);
    const unknown = await enrollSaml(idp.response({ email: 'dave@example.com', audience: SP, acs: ACS }), { provider_id: '00000000-0000-4000-8000-0000000000ac' });
    assert.equal(unknown.statusCode, 404);
    assert.equal((await enrollSaml('x', { public_key: 'nope' })).statusCode, 422);
    assert.equal(await deviceCount(), before, 'no refused response enrolled anything');
    assert.equal(await r.core.identity.users.findByEmail('boss@example.com'), undefined);
  });

  test('deleting the provider ends enrollment through it', async () => {
    const del = await r.app.inject({ method: 'DELETE', url: `/v1/admin/settings/providers/${providerId}`, headers: admin.headers });
    assert.equal(del.statusCode, 204);
    assert.equal((await enrollSaml(idp.response({ email: 'carol@example.com', audience: SP, acs: ACS }))).statusCode, 404);
  });
});
