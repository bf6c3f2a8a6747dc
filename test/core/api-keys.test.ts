import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { coversPattern, intersectGrants } from '../../src/core/identity/api-keys/scope.js';
import { RampartError } from '../../src/core/errors.js';
import type { Principal } from '../../src/core/principal.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';

const rejectsWith = (status: number, message: RegExp) => (err: unknown) => {
  assert.ok(err instanceof RampartError, String(err));
  assert.equal(err.status, status);
  assert.match(err.message, message);
  return true;
};

const sorted = (s: Iterable<string>) => [...s].sort();

describe('API key scope arithmetic', () => {
  test('a key for everything under a creator with host:* acts with host:* only', () => {
    assert.deepEqual(sorted(intersectGrants(['*'], ['host:*', 'user:read'])), ['host:*', 'user:read']);
  });

  test('wildcards on either side narrow to the more specific pattern', () => {
    assert.deepEqual(sorted(intersectGrants(['host:read', 'user:*'], ['host:*', 'user:read'])), ['host:read', 'user:read']);
    assert.deepEqual(sorted(intersectGrants(['host:*'], ['*'])), ['host:*']);
    assert.deepEqual(sorted(intersectGrants(['host:*'], ['host:*'])), ['host:*']);
  });

  test('nothing in common is nothing', () => {
    assert.deepEqual(sorted(intersectGrants(['host:read', 'scan:*'], ['host:write', 'user:*'])), []);
    assert.deepEqual(sorted(intersectGrants(['*'], [])), []);
  });

  test('a broader pattern in the result absorbs the narrower ones', () => {
    assert.deepEqual(sorted(intersectGrants(['*'], ['host:read', 'host:*'])), ['host:*']);
  });

  test('a list of every host permission does not cover host:* (modules may register more)', () => {
    const grants = new Set(['host:read', 'host:write', 'host:delete']);
    assert.equal(coversPattern(grants, 'host:read'), true);
    assert.equal(coversPattern(grants, 'host:*'), false);
    assert.equal(coversPattern(new Set(['host:*']), 'host:delete'), true);
    assert.equal(coversPattern(new Set(['host:*']), '*'), false);
    assert.equal(coversPattern(new Set(['*']), '*'), true);
  });
});

describe('API key service', () => {
  let r: TestRampart;
  let clock = new Date('2026-06-10T12:00:00Z');
  const later = (seconds: number) => void (clock = new Date(clock.getTime() + seconds * 1000));
  let n = 0;

  before(async () => {
    r = await createTestRampart({ now: () => clock });
  });
  after(() => r.cleanup());

  /** A user holding a custom role of these permissions, as the authenticator would present them. */
  async function creator(permissions: string[]): Promise<Principal> {
    const identity = r.core.identity;
    const role = await identity.rbac.createRole({ name: `keys-role-${++n}`, permissions });
    const user = await identity.users.create({ username: `keys-user-${n}`, password: 'correct horse battery staple', roles: [role.name] });
    const access = await identity.rbac.userAccess(user.id);
    return { type: 'user', id: user.id, name: user.username, permissions: access.permissions, roles: access.roles };
  }

  test('a key acts with its own scope, through the ApiKey secret', async () => {
    const alice = await creator(['host:*', 'scan:read']);
    const { key, secret } = await r.core.identity.apiKeys.create(alice, { name: 'ci', permissions: ['host:read', 'scan:read'] });
    assert.match(secret, /^rk_[A-Za-z0-9_-]{43}$/);
    assert.equal(key.masked_key, `${secret.slice(0, 10)}…`);
    const principal = await r.core.identity.apiKeys.authenticate(secret);
    assert.ok(principal);
    assert.equal(principal.type, 'api_key');
    assert.equal(principal.id, key.id);
    assert.equal(principal.via, 'api_key');
    assert.deepEqual(principal.roles, []);
    assert.deepEqual(sorted(principal.permissions), ['host:read', 'scan:read']);
  });

  test('a permission beyond the creator is refused with 403 naming it; nothing is stored', async () => {
    const bob = await creator(['host:read']);
    await assert.rejects(
      r.core.identity.apiKeys.create(bob, { name: 'too much', permissions: ['host:read', 'host:write'] }),
      rejectsWith(403, /host:write/),
    );
    await assert.rejects(r.core.identity.apiKeys.create(bob, { name: 'wild', permissions: ['host:*'] }), rejectsWith(403, /host:\*/));
    await assert.rejects(r.core.identity.apiKeys.create(bob, { name: 'all', permissions: ['*'] }), rejectsWith(403, /\*/));
    assert.deepEqual(await r.core.identity.apiKeys.list(bob.id), []);
  });

  test('unknown permissions, empty scopes, bad names and past expiry are 400', async () => {
    const admin = await creator(['*']);
    const keys = r.core.identity.apiKeys;
    await assert.rejects(keys.create(admin, { name: 'x', permissions: ['nosuch:thing'] }), rejectsWith(400, /nosuch:thing/));
    await assert.rejects(keys.create(admin, { name: 'x', permissions: ['nosuch:*'] }), rejectsWith(400, /nosuch:\*/));
    await assert.rejects(keys.create(admin, { name: 'x', permissions: [] }), rejectsWith(400, /permission/));
    await assert.rejects(keys.create(admin, { name: '', permissions: ['host:read'] }), rejectsWith(400, /name/));
    await assert.rejects(keys.create(admin, { name: 'x'.repeat(101), permissions: ['host:read'] }), rejectsWith(400, /name/));
    await assert.rejects(
      keys.create(admin, { name: 'x', permissions: ['host:read'], expires_at: new Date(clock.getTime() - 1000).toISOString() }),
      rejectsWith(400, /future/),
    );
    await assert.rejects(keys.create(admin, { name: 'x', permissions: ['host:read'], expires_at: 'tomorrow' }), rejectsWith(400, /expires_at/));
  });

  test('an API key cannot mint keys', async () => {
    const admin = await creator(['*']);
    const { secret } = await r.core.identity.apiKeys.create(admin, { name: 'full', permissions: ['*'] });
    const keyPrincipal = (await r.core.identity.apiKeys.authenticate(secret))!;
    await assert.rejects(r.core.identity.apiKeys.create(keyPrincipal, { name: 'child', permissions: ['host:read'] }), rejectsWith(403, /user/));
  });

  test('a key for everything acts with exactly its creator\'s current permissions', async () => {
    const carol = await creator(['*']);
    const { secret } = await r.core.identity.apiKeys.create(carol, { name: 'everything', permissions: ['*'] });
    const role = await r.core.identity.rbac.createRole({ name: `narrow-${++n}`, permissions: ['host:*'] });
    await r.core.identity.rbac.setRoles(carol.id, [role.name]);
    const principal = await r.core.identity.apiKeys.authenticate(secret);
    assert.deepEqual(sorted(principal!.permissions), ['host:*']);
  });

  test('when the creator loses a permission the key loses it at once', async () => {
    const dave = await creator(['host:read', 'host:write']);
    const { secret } = await r.core.identity.apiKeys.create(dave, { name: 'writer', permissions: ['host:read', 'host:write'] });
    assert.deepEqual(sorted((await r.core.identity.apiKeys.authenticate(secret))!.permissions), ['host:read', 'host:write']);
    const readOnly = await r.core.identity.rbac.createRole({ name: `reader-${++n}`, permissions: ['host:read'] });
    await r.core.identity.rbac.setRoles(dave.id, [readOnly.name]);
    assert.deepEqual(sorted((await r.core.identity.apiKeys.authenticate(secret))!.permissions), ['host:read']);
  });

  test('a suspended creator\'s keys stop working', async () => {
    const erin = await creator(['host:read']);
    const { secret } = await r.core.identity.apiKeys.create(erin, { name: 'k', permissions: ['host:read'] });
    assert.ok(await r.core.identity.apiKeys.authenticate(secret));
    await r.core.identity.users.suspend(erin.id);
    assert.equal(await r.core.identity.apiKeys.authenticate(secret), null);
  });

  test('a revoked key stops working at once and shows its revocation', async () => {
    const frank = await creator(['host:read']);
    const { key, secret } = await r.core.identity.apiKeys.create(frank, { name: 'k', permissions: ['host:read'] });
    assert.ok(await r.core.identity.apiKeys.authenticate(secret));
    const revoked = await r.core.identity.apiKeys.revoke(key.id);
    assert.equal(revoked.revoked_at, clock.toISOString());
    assert.equal(await r.core.identity.apiKeys.authenticate(secret), null);
    await assert.rejects(r.core.identity.apiKeys.revoke('00000000-0000-4000-8000-000000000000'), rejectsWith(404, /not found/));
  });

  test('a key stops working when it expires, even while its principal is cached', async () => {
    const grace = await creator(['host:read']);
    const expires_at = new Date(clock.getTime() + 10_000).toISOString();
    const { secret } = await r.core.identity.apiKeys.create(grace, { name: 'short', permissions: ['host:read'], expires_at });
    const principal = await r.core.identity.apiKeys.authenticate(secret);
    assert.equal(principal!.expiresAt, Date.parse(expires_at) / 1000);
    later(11);
    assert.equal(await r.core.identity.apiKeys.authenticate(secret), null);
  });

  test('unknown secrets are no one', async () => {
    assert.equal(await r.core.identity.apiKeys.authenticate('rk_not-a-real-key'), null);
    assert.equal(await r.core.identity.apiKeys.authenticate('something else'), null);
  });

  test('last_used_at is recorded on use, at most once a minute', async () => {
    const heidi = await creator(['host:read']);
    const { key, secret } = await r.core.identity.apiKeys.create(heidi, { name: 'used', permissions: ['host:read'] });
    const lastUsed = async () => (await r.core.identity.apiKeys.list(heidi.id)).find((k) => k.id === key.id)!.last_used_at;
    assert.equal(await lastUsed(), null);
    await r.core.identity.apiKeys.authenticate(secret);
    const first = clock.toISOString();
    assert.equal(await lastUsed(), first);
    later(30);
    await r.core.identity.apiKeys.authenticate(secret);
    assert.equal(await lastUsed(), first, 'a second use within the minute writes nothing');
    later(31);
    await r.core.identity.apiKeys.authenticate(secret);
    assert.equal(await lastUsed(), clock.toISOString());
  });

  test('lists show the masked key, never the secret or its hash', async () => {
    const ivan = await creator(['host:read']);
    const { secret } = await r.core.identity.apiKeys.create(ivan, { name: 'listed', permissions: ['host:read'] });
    const listed = await r.core.identity.apiKeys.list(ivan.id);
    assert.equal(listed.length, 1);
    const text = JSON.stringify(listed);
    assert.ok(!text.includes(secret));
    assert.ok(!text.includes(createHash('sha256').update(secret).digest('hex')));
    assert.equal(listed[0]!.masked_key, `${secret.slice(0, 10)}…`);
    assert.ok((await r.core.identity.apiKeys.list()).length > 1, 'without a creator every key is listed');
  });
});
