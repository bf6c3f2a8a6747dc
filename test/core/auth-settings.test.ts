import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RampartError } from '../../src/core/errors.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { onPostgres } from '../helpers/db.js';
import { waitFor } from '../helpers/wait.js';

const rejectsWith = (status: number, message: RegExp) => (err: unknown) => {
  assert.ok(err instanceof RampartError, String(err));
  assert.equal(err.status, status);
  assert.match(err.message, message);
  return true;
};

describe('auth settings service', () => {
  const overrides = { 'auth.lockout_threshold': 7, 'auth.session_ttl_s': 3600 };
  let r: TestRampart;

  before(async () => {
    r = await createTestRampart({ overrides });
  });
  after(() => r.cleanup());

  test('defaults come from [auth], with registration off and the viewer role', async () => {
    assert.deepEqual(await r.core.identity.settings.get(), {
      registration_enabled: false,
      registration_role: 'viewer',
      lockout_threshold: 7,
      lockout_minutes: 15,
      password_min_length: 12,
      access_token_ttl_s: 900,
      refresh_token_ttl_s: 30 * 86_400,
      session_ttl_s: 3600,
      // OpenWatch's auth policy: its idle window and MFA requirement defaults.
      session_idle_timeout_s: 900,
      mfa_required: false,
    });
  });

  test('an update changes only the keys given, and reads see it at once', async () => {
    await r.core.identity.settings.get(); // cached before the change
    const updated = await r.core.identity.settings.update({ lockout_threshold: 3, registration_enabled: true });
    assert.equal(updated.lockout_threshold, 3);
    assert.equal(updated.registration_enabled, true);
    assert.equal(updated.lockout_minutes, 15);
    assert.equal(updated.session_ttl_s, 3600);
    assert.deepEqual(await r.core.identity.settings.get(), updated);
    const again = await r.core.identity.settings.update({ lockout_threshold: 4 });
    assert.deepEqual(again, { ...updated, lockout_threshold: 4 });
  });

  test('another node sharing the database forgets its cached settings on a change', { skip: !onPostgres && 'needs PostgreSQL (set RAMPART_TEST_DATABASE_URL)' }, async () => {
    const second = await createTestRampart({ tdb: r.tdb, overrides });
    try {
      const before = await second.core.identity.settings.get();
      await r.core.identity.settings.update({ lockout_minutes: before.lockout_minutes + 1 });
      await waitFor('the other node to see the new setting', async () => (await second.core.identity.settings.get()).lockout_minutes === before.lockout_minutes + 1, 30_000);
    } finally {
      await second.cleanup();
    }
  });

  test('bad values are 400 naming the field, and change nothing', async () => {
    const before = await r.core.identity.settings.get();
    const bad: Record<string, unknown>[] = [
      { lockout_threshold: -1 },
      { lockout_threshold: 101 },
      { lockout_minutes: 0 },
      { password_min_length: 7 },
      { access_token_ttl_s: 59 },
      { refresh_token_ttl_s: 90 * 86_400 + 1 },
      { session_ttl_s: 1.5 },
      { registration_enabled: 'yes' },
      { registration_role: 'Not A Role!' },
      { lockout_minutes: 30, password_min_length: 3 },
    ];
    for (const patch of bad) {
      const field = Object.keys(patch).at(-1)!;
      await assert.rejects(r.core.identity.settings.update(patch), rejectsWith(400, new RegExp(field)), JSON.stringify(patch));
    }
    await assert.rejects(r.core.identity.settings.update({ no_such_setting: 1 } as never), rejectsWith(400, /no_such_setting/));
    assert.deepEqual(await r.core.identity.settings.get(), before);
  });
});
