import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RampartError } from '../../src/core/errors.js';
import type { Actor } from '../../src/core/identity/identity.types.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';

const rejectsWith = (status: number, message: RegExp) => (err: unknown) => {
  assert.ok(err instanceof RampartError, String(err));
  assert.equal(err.status, status);
  assert.match(err.message, message);
  return true;
};

const operator: Actor = { type: 'user', id: '00000000-0000-4000-8000-000000000001', name: 'operator@example.com' };
const FIRST_PAGE = { limit: 100, offset: 0 };

describe('service account service', () => {
  let r: TestRampart;
  let clock = new Date('2026-06-10T12:00:00Z');
  const later = (seconds: number) => void (clock = new Date(clock.getTime() + seconds * 1000));
  let n = 0;
  const accounts = () => r.core.identity.serviceAccounts;
  const newAccount = (role: 'admin' | 'readonly') => accounts().create({ name: `sa-${++n}`, description: 'automation', role }, operator);
  /** What the authenticator does with a presented service-account JWT. */
  const principalOf = async (token: string) => accounts().principalFor(await r.core.identity.keyset.verify(token));

  before(async () => {
    r = await createTestRampart({ now: () => clock });
  });
  after(() => r.cleanup());

  test('create, get, list and update; names are unique', async () => {
    const created = await accounts().create({ name: 'terraform', description: 'automation account', role: 'admin' }, operator);
    assert.deepEqual(created, {
      id: created.id,
      name: 'terraform',
      description: 'automation account',
      role: 'admin',
      status: 'active',
      created_at: clock.toISOString(),
      created_by: 'operator@example.com',
    });
    assert.deepEqual(await accounts().get(created.id), created);
    assert.ok((await accounts().list(FIRST_PAGE)).items.some((a) => a.id === created.id));
    await assert.rejects(accounts().create({ name: 'terraform', role: 'readonly' }, operator), rejectsWith(409, /terraform/));
    const other = await newAccount('readonly');
    await assert.rejects(accounts().update(other.id, { name: 'terraform' }), rejectsWith(409, /terraform/));
    const updated = await accounts().update(created.id, { description: 'renamed', role: 'readonly' });
    assert.equal(updated.description, 'renamed');
    assert.equal(updated.role, 'readonly');
    await assert.rejects(accounts().create({ name: 'x', role: 'owner' as 'admin' }, operator), rejectsWith(400, /role/));
    await assert.rejects(accounts().get('00000000-0000-4000-8000-000000000000'), rejectsWith(404, /not found/));
    await assert.rejects(accounts().get('not-a-uuid'), rejectsWith(404, /not found/));
  });

  test('a minted token is a JWT of the account, acting with its role, and shown once', async () => {
    const account = await newAccount('admin');
    const { token, token_meta } = await accounts().mintToken(account.id, { name: 'ci', ttl: '24h', role: 'readonly' }, operator);
    assert.deepEqual(Object.keys(token_meta).sort(), [
      'created_at', 'created_by', 'expires_at', 'id', 'kid', 'last_used_at', 'name', 'revoked_at', 'role', 'service_account_id', 'status',
    ]);
    assert.equal(token_meta.expires_at, new Date(clock.getTime() + 24 * 3_600_000).toISOString());
    assert.equal(token_meta.status, 'active');
    assert.equal(token_meta.created_by, 'operator@example.com');
    const claims = await r.core.identity.keyset.verify(token);
    assert.equal(claims.sa_id, account.id);
    assert.deepEqual(claims.roles, ['readonly']);
    assert.equal(claims.jti, token_meta.id);
    assert.equal(claims.kid, token_meta.kid);
    const principal = await principalOf(token);
    assert.ok(principal);
    assert.equal(principal.type, 'service_account');
    assert.equal(principal.id, account.id);
    assert.equal(principal.serviceAccountId, account.id);
    assert.deepEqual(principal.roles, ['readonly']);
    assert.ok(principal.permissions.has('host:read'));
    assert.ok(!principal.permissions.has('host:write') && !principal.permissions.has('*'));
    const listed = (await accounts().listTokens(account.id, FIRST_PAGE)).items;
    assert.deepEqual(listed.map((t) => t.id), [token_meta.id]);
    assert.ok(!JSON.stringify(listed).includes(token), 'token lists never carry the raw token');
  });

  test('the token role defaults to the account role and never exceeds it', async () => {
    const admin = await newAccount('admin');
    const minted = await accounts().mintToken(admin.id, {}, operator);
    assert.equal(minted.token_meta.role, 'admin');
    assert.ok((await principalOf(minted.token))!.permissions.has('*'));
    const readonly = await newAccount('readonly');
    await assert.rejects(accounts().mintToken(readonly.id, { role: 'admin' }, operator), rejectsWith(403, /readonly/));
    assert.deepEqual((await accounts().listTokens(readonly.id, FIRST_PAGE)).items, []);
  });

  test('lowering an account to readonly lowers its admin tokens', async () => {
    const account = await newAccount('admin');
    const { token } = await accounts().mintToken(account.id, { role: 'admin' }, operator);
    assert.deepEqual((await principalOf(token))!.roles, ['admin']);
    await accounts().update(account.id, { role: 'readonly' });
    const principal = await principalOf(token);
    assert.deepEqual(principal!.roles, ['readonly']);
    assert.ok(!principal!.permissions.has('*'));
  });

  test('lifetimes: ttl units, eternal, the 90-day default; ttl with eternal and bad ttls are 400', async () => {
    const account = await newAccount('readonly');
    const expiry = async (input: { ttl?: string; eternal?: boolean }) => (await accounts().mintToken(account.id, input, operator)).token_meta.expires_at;
    const at = (seconds: number) => new Date(clock.getTime() + seconds * 1000).toISOString();
    assert.equal(await expiry({ ttl: '3600s' }), at(3600));
    assert.equal(await expiry({ ttl: '30m' }), at(1800));
    assert.equal(await expiry({ ttl: '90d' }), at(90 * 86_400));
    assert.equal(await expiry({}), at(90 * 86_400));
    const eternal = await accounts().mintToken(account.id, { eternal: true }, operator);
    assert.equal(eternal.token_meta.expires_at, null);
    assert.equal((await r.core.identity.keyset.verify(eternal.token)).exp, undefined);
    await assert.rejects(accounts().mintToken(account.id, { ttl: '24h', eternal: true }, operator), rejectsWith(400, /ttl and eternal are mutually exclusive/));
    for (const ttl of ['24', '1w', '-5m', '0h', 'soon']) await assert.rejects(accounts().mintToken(account.id, { ttl }, operator), rejectsWith(400, /ttl/));
  });

  test('an expired token is no one and lists as expired', async () => {
    const account = await newAccount('readonly');
    const { token, token_meta } = await accounts().mintToken(account.id, { ttl: '60s' }, operator);
    const claims = await r.core.identity.keyset.verify(token);
    assert.ok(await accounts().principalFor(claims));
    later(61);
    assert.equal(await accounts().principalFor(claims), null);
    assert.equal(((await accounts().listTokens(account.id, FIRST_PAGE)).items).find((t) => t.id === token_meta.id)!.status, 'expired');
  });

  test('revoking a token ends it at once', async () => {
    const account = await newAccount('admin');
    const { token, token_meta } = await accounts().mintToken(account.id, { name: 'a' }, operator);
    const kept = await accounts().mintToken(account.id, { name: 'b' }, operator);
    assert.ok(await principalOf(token));
    await accounts().revokeToken(account.id, token_meta.id);
    assert.equal(await principalOf(token), null);
    assert.ok(await principalOf(kept.token), 'other tokens of the account still work');
    const listed = (await accounts().listTokens(account.id, FIRST_PAGE)).items;
    assert.equal(listed.find((t) => t.id === token_meta.id)!.status, 'revoked');
    assert.equal(listed.find((t) => t.id === token_meta.id)!.revoked_at, clock.toISOString());
    const other = await newAccount('admin');
    await assert.rejects(accounts().revokeToken(other.id, kept.token_meta.id), rejectsWith(404, /not found/));
  });

  test('disabling an account revokes every token and refuses new ones', async () => {
    const account = await newAccount('admin');
    const one = await accounts().mintToken(account.id, {}, operator);
    const two = await accounts().mintToken(account.id, { eternal: true }, operator);
    assert.ok(await principalOf(one.token));
    assert.ok(await principalOf(two.token));
    await accounts().disable(account.id);
    assert.equal(await principalOf(one.token), null);
    assert.equal(await principalOf(two.token), null);
    assert.equal((await accounts().get(account.id)).status, 'disabled');
    assert.ok(((await accounts().listTokens(account.id, FIRST_PAGE)).items).every((t) => t.status === 'revoked' && t.revoked_at !== null));
    await assert.rejects(accounts().mintToken(account.id, {}, operator), rejectsWith(400, /disabled/));
    // Reactivating does not bring revoked tokens back.
    await accounts().update(account.id, { status: 'active' });
    assert.equal(await principalOf(one.token), null);
  });

  test('disabling through update revokes the tokens too', async () => {
    const account = await newAccount('readonly');
    const { token } = await accounts().mintToken(account.id, {}, operator);
    await accounts().update(account.id, { status: 'disabled' });
    assert.equal(await principalOf(token), null);
  });

  test('a token presented with another account\'s sa_id is no one', async () => {
    const account = await newAccount('admin');
    const other = await newAccount('admin');
    const { token } = await accounts().mintToken(account.id, {}, operator);
    const claims = await r.core.identity.keyset.verify(token);
    assert.equal(await accounts().principalFor({ ...claims, sa_id: other.id }), null);
  });

  test('last_used_at is recorded on use, at most once a minute', async () => {
    const account = await newAccount('readonly');
    const { token, token_meta } = await accounts().mintToken(account.id, {}, operator);
    const lastUsed = async () => ((await accounts().listTokens(account.id, FIRST_PAGE)).items).find((t) => t.id === token_meta.id)!.last_used_at;
    await principalOf(token);
    const first = clock.toISOString();
    assert.equal(await lastUsed(), first);
    later(20);
    await principalOf(token);
    assert.equal(await lastUsed(), first);
    later(41);
    await principalOf(token);
    assert.equal(await lastUsed(), clock.toISOString());
  });
});
