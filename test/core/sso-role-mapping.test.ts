import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RampartError } from '../../src/core/errors.js';
import type { RoleMapping } from '../../src/core/identity/identity.types.js';
import { providerSettings } from '../../src/core/identity/sso/provider-config.js';
import { isEmailAllowed, resolveRole, type SsoClaims } from '../../src/core/identity/sso/role-mapping.js';
import { localPath, openState, sealState, type SsoState } from '../../src/core/identity/sso/sso-state.js';
import { generateKey, staticKeyring } from '../../src/core/secrets/keyring.js';
import { createSecretBox } from '../../src/core/secrets/secret-box.js';

const claims = (over: Partial<SsoClaims> = {}): SsoClaims => ({
  subject: 'u-1',
  email: 'ada@example.com',
  emailVerified: true,
  groups: [],
  username: null,
  name: null,
  ...over,
});

const mapping = (role: string, m: Partial<RoleMapping>): RoleMapping => ({ role, subjects: [], groups: [], email_domains: [], ...m });

// Neuwerk's admin/readonly rules, in the order its settings list them.
const neuwerk: RoleMapping[] = [
  mapping('admin', { subjects: ['root-sub'], groups: ['net-admins'], email_domains: ['ops.example.com'] }),
  mapping('readonly', { subjects: ['auditor-sub'], groups: ['staff'], email_domains: ['example.com'] }),
];

test('a group claim value picks the role of the mapping that lists the group', () => {
  assert.equal(resolveRole(neuwerk, null, claims({ groups: ['staff'] })), 'readonly');
  assert.equal(resolveRole(neuwerk, null, claims({ groups: ['other', 'net-admins'] })), 'admin');
});

test('subjects beat groups, and groups beat email domains, across all mappings', () => {
  // Listed by subject as readonly, although a group of theirs maps to admin.
  assert.equal(resolveRole(neuwerk, null, claims({ subject: 'auditor-sub', groups: ['net-admins'] })), 'readonly');
  // The readonly group wins over the admin email domain.
  assert.equal(resolveRole(neuwerk, null, claims({ email: 'bob@ops.example.com', groups: ['staff'] })), 'readonly');
  assert.equal(resolveRole(neuwerk, null, claims({ email: 'bob@ops.example.com' })), 'admin');
  assert.equal(resolveRole(neuwerk, null, claims({ subject: 'root-sub', email: 'x@example.com' })), 'admin');
});

test('within one kind of rule the first mapping wins', () => {
  const both = [mapping('operator', { groups: ['g'] }), mapping('admin', { groups: ['g'] })];
  assert.equal(resolveRole(both, null, claims({ groups: ['g'] })), 'operator');
});

test('no match falls back to the default role, and to nothing without one', () => {
  const stranger = claims({ subject: 'x', email: 'x@elsewhere.org', groups: ['nobody'] });
  assert.equal(resolveRole(neuwerk, 'viewer', stranger), 'viewer');
  assert.equal(resolveRole(neuwerk, null, stranger), null);
  assert.equal(resolveRole([], null, claims()), null);
});

test('email domains match case-insensitively, and an address the provider says is unverified grants no domain', () => {
  assert.equal(resolveRole(neuwerk, null, claims({ email: 'Ada@EXAMPLE.com' })), 'readonly');
  assert.equal(resolveRole(neuwerk, null, claims({ email: 'ada@example.com', emailVerified: false })), null);
  // Providers that do not say (Entra ID omits email_verified) are taken at their word.
  assert.equal(resolveRole(neuwerk, null, claims({ email: 'ada@example.com', emailVerified: null })), 'readonly');
  // A subdomain is another domain.
  assert.equal(resolveRole(neuwerk, null, claims({ email: 'ada@evil-example.com' })), null);
});

test('the email allow-list admits everyone when empty, else only listed domains of present, not unverified, addresses', () => {
  assert.equal(isEmailAllowed([], claims({ email: null })), true);
  assert.equal(isEmailAllowed(['example.com'], claims()), true);
  assert.equal(isEmailAllowed(['example.com'], claims({ email: 'eve@example.org' })), false);
  assert.equal(isEmailAllowed(['example.com'], claims({ email: null })), false);
  assert.equal(isEmailAllowed(['example.com'], claims({ emailVerified: false })), false);
  assert.equal(isEmailAllowed(['example.com'], claims({ email: 'not-an-address' })), false);
});

function assertInvalid(fn: () => unknown, message: RegExp) {
  assert.throws(fn, (err: unknown) => err instanceof RampartError && err.status === 400 && message.test(err.message));
}

test('provider settings take the defaults the specs give, and google its fixed issuer', () => {
  const s = providerSettings({ name: 'corp', issuer_url: 'https://idp.example.com/realms/corp', client_id: 'rampart' });
  assert.deepEqual(s.scopes, ['openid', 'email', 'profile']);
  assert.equal(s.subject_claim, 'sub');
  assert.equal(s.email_claim, 'email');
  assert.equal(s.groups_claim, 'groups');
  assert.equal(s.session_ttl_s, 8 * 3600);
  assert.equal(s.pkce_required, true);
  assert.equal(s.enabled, true);
  assert.equal(s.is_default, false);
  assert.equal(providerSettings({ name: 'g', kind: 'google', client_id: 'c' }).issuer_url, 'https://accounts.google.com');
  assertInvalid(() => providerSettings({ name: 'g', kind: 'google', client_id: 'c', issuer_url: 'https://evil.example' }), /accounts\.google\.com/);
  assertInvalid(() => providerSettings({ name: 'g', kind: 'google', client_id: 'c', scopes: ['email'] }), /openid/);
  const gh = providerSettings({ name: 'gh', kind: 'github', client_id: 'c' });
  assert.equal(gh.token_url, 'https://github.com/login/oauth/access_token');
  assert.deepEqual(gh.scopes, ['read:user', 'user:email']);
});

test('provider URLs must be https, except plain http to loopback hosts', () => {
  const withIssuer = (issuer_url: string) => () => providerSettings({ name: 'p', client_id: 'c', issuer_url });
  for (const ok of ['https://idp.example.com', 'http://127.0.0.1:9000', 'http://127.8.9.10', 'http://localhost:8080/realms/x', 'http://[::1]:9000']) {
    assert.doesNotThrow(withIssuer(ok), ok);
  }
  assertInvalid(withIssuer('http://idp.example.com'), /https/);
  assertInvalid(withIssuer('http://10.0.0.5'), /https/);
  assertInvalid(withIssuer('http://localhost.evil.com'), /https/);
  assertInvalid(withIssuer('ftp://idp.example.com'), /http\(s\)/);
  assertInvalid(withIssuer('not a url'), /valid URL/);
  assertInvalid(() => providerSettings({ name: 'p', client_id: 'c' }), /issuer_url is required/);
  assertInvalid(() => providerSettings({ name: 'p', client_id: 'c', issuer_url: 'https://x', token_url: 'http://x.example' }), /token_url/);
});

test('a provider changing kind keeps its name, client and mappings', () => {
  const oidc = providerSettings({ name: 'p', client_id: 'c', issuer_url: 'https://idp.example.com', role_mappings: [mapping('admin', { groups: ['g'] })] });
  const google = providerSettings({ kind: 'google' }, oidc);
  assert.equal(google.name, 'p');
  assert.equal(google.client_id, 'c');
  assert.equal(google.issuer_url, 'https://accounts.google.com');
  assert.deepEqual(google.role_mappings, oidc.role_mappings);
});

test('return paths after login stay on this site', () => {
  assert.equal(localPath('/dashboard?tab=1'), '/dashboard?tab=1');
  for (const bad of ['https://evil.example', '//evil.example/x', '/\\evil.example', 'dashboard', '', undefined, null]) assert.equal(localPath(bad), null, String(bad));
});

test('the sealed login state opens only unaltered, for its provider, before it expires', () => {
  const box = createSecretBox(staticKeyring([generateKey()]));
  const now = new Date('2026-01-01T00:00:00Z');
  const state: SsoState = {
    provider_id: 'p1', state: 's', nonce: 'n', verifier: 'v', redirect_uri: 'https://r/cb', return_to: null,
    exp: now.getTime() / 1000 + 600,
  };
  const sealed = sealState(box, state);
  assert.ok(!sealed.includes('"verifier"'), 'the PKCE verifier is not readable in the cookie');
  assert.deepEqual(openState(box, sealed, 'p1', now), state);
  const refused = (cookie: string | undefined, provider: string, at: Date) =>
    assert.throws(() => openState(box, cookie, provider, at), (err: unknown) => err instanceof RampartError && err.status === 400 && err.code === 'invalid_sso_state');
  refused(sealed, 'p2', now);
  refused(sealed, 'p1', new Date(now.getTime() + 601_000));
  const i = sealed.length - 10;
  refused(sealed.slice(0, i) + (sealed[i] === 'A' ? 'B' : 'A') + sealed.slice(i + 1), 'p1', now);
  refused(undefined, 'p1', now);
  refused(createSecretBox(staticKeyring([generateKey()])).seal(JSON.stringify(state), 'sso.state'), 'p1', now);
});
