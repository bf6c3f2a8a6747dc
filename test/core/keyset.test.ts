import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeProtectedHeader, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { RampartError } from '../../src/core/errors.js';
import type { Keyset } from '../../src/core/identity/identity.types.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';

const unauthorized = (err: unknown) => {
  assert.ok(err instanceof RampartError, String(err));
  assert.equal(err.status, 401);
  assert.equal(err.message, 'invalid or expired token');
  return true;
};

describe('keyset: EdDSA JWTs with rotation and retirement', () => {
  let r: TestRampart;
  let keyset: Keyset;
  let clock = new Date('2026-06-10T12:00:00Z');
  const later = (seconds: number) => void (clock = new Date(clock.getTime() + seconds * 1000));
  const nowS = () => Math.floor(clock.getTime() / 1000);

  before(async () => {
    r = await createTestRampart({ now: () => clock });
    keyset = r.core.identity.keyset;
  });
  after(() => r.cleanup());

  test('a signed token carries kid, EdDSA, iss, iat and exp, and verifies to its claims', async () => {
    const { token, kid, expiresAt } = await keyset.sign({ sub: 'user-1', typ: 'access', sid: 's-1' }, 900);
    const header = decodeProtectedHeader(token);
    assert.equal(header.alg, 'EdDSA');
    assert.equal(header.kid, kid);
    assert.equal(expiresAt?.getTime(), (nowS() + 900) * 1000);
    const claims = await keyset.verify(token);
    assert.deepEqual(
      { sub: claims.sub, typ: claims.typ, sid: claims.sid, iss: claims.iss, iat: claims.iat, exp: claims.exp, kid: claims.kid },
      { sub: 'user-1', typ: 'access', sid: 's-1', iss: 'rampart', iat: nowS(), exp: nowS() + 900, kid },
    );
  });

  test('the first key is created on first use, once, and its private key is stored sealed', async () => {
    const keys = await keyset.list();
    assert.equal(keys.filter((k) => k.status === 'active').length, 1);
    const rows = await r.core.db.kysely.selectFrom('signing_keys').select(['private_key', 'public_jwk']).execute();
    for (const row of rows) {
      assert.doesNotMatch(row.private_key, /PRIVATE KEY/);
      assert.match(row.private_key, /^rs1\./);
    }
  });

  test('ttl null signs a token without exp, which keeps verifying', async () => {
    const { token, expiresAt } = await keyset.sign({ sub: 'sa', typ: 'service_account' }, null);
    assert.equal(expiresAt, null);
    later(400 * 86_400);
    assert.equal((await keyset.verify(token)).exp, undefined);
  });

  test('expiry is checked with 60 s of clock tolerance', async () => {
    const { token } = await keyset.sign({ sub: 'user-1' }, 60);
    later(60 + 59);
    await keyset.verify(token);
    later(2);
    await assert.rejects(keyset.verify(token), unauthorized);
  });

  test('garbage, unsigned, foreign-key, wrong-issuer and HMAC tokens are 401s, never 500s', async () => {
    const { kid } = await keyset.sign({ sub: 'x' }, 60);
    const foreign = await generateKeyPair('EdDSA');
    const iat = nowS();
    const forged = await new SignJWT({ sub: 'admin', typ: 'access' }).setProtectedHeader({ alg: 'EdDSA', kid }).setIssuer('rampart').setIssuedAt(iat).setExpirationTime(iat + 60).sign(foreign.privateKey);
    const hmac = await new SignJWT({ sub: 'admin' }).setProtectedHeader({ alg: 'HS256', kid }).setIssuer('rampart').sign(new TextEncoder().encode('k'.repeat(32)));
    const unsecured = new UnsecuredJWT({ sub: 'admin' }).setIssuer('rampart').encode();
    for (const token of ['', 'not.a.jwt', 'a.b', forged, hmac, unsecured]) await assert.rejects(keyset.verify(token), unauthorized, token);

    const other = await createTestRampart({ tdb: r.tdb, now: () => clock, overrides: { 'auth.issuer': 'someone-else' } });
    try {
      const { token } = await other.core.identity.keyset.sign({ sub: 'x' }, 60);
      await assert.rejects(keyset.verify(token), unauthorized, 'same key, wrong issuer');
    } finally {
      await other.cleanup();
    }
  });

  test('rotation: the new key signs, tokens of the rotated-out key still verify until it is retired', async () => {
    const before = await keyset.sign({ sub: 'old' }, 900);
    const rotated = await keyset.rotate();
    assert.equal(rotated.status, 'active');
    assert.notEqual(rotated.kid, before.kid);

    const after = await keyset.sign({ sub: 'new' }, 900);
    assert.equal(after.kid, rotated.kid);
    assert.equal((await keyset.verify(before.token)).sub, 'old');
    const statuses = Object.fromEntries((await keyset.list()).map((k) => [k.kid, k.status]));
    assert.equal(statuses[before.kid], 'verifying');
    assert.equal(statuses[rotated.kid], 'active');

    const retired = await keyset.retire(before.kid);
    assert.equal(retired.status, 'retired');
    assert.ok(retired.retired_at);
    await assert.rejects(keyset.verify(before.token), unauthorized);
    assert.equal((await keyset.verify(after.token)).sub, 'new');
  });

  test('the active key cannot be retired (400), an unknown kid is 404', async () => {
    const active = (await keyset.list()).find((k) => k.status === 'active')!;
    await assert.rejects(keyset.retire(active.kid), (err: unknown) => err instanceof RampartError && err.status === 400);
    await assert.rejects(keyset.retire('k999'), (err: unknown) => err instanceof RampartError && err.status === 404);
  });

  test('another node verifies tokens of a key rotated in after it loaded its keys', async () => {
    const other = await createTestRampart({ tdb: r.tdb, now: () => clock });
    try {
      const first = await keyset.sign({ sub: 'a' }, 900);
      assert.equal((await other.core.identity.keyset.verify(first.token)).sub, 'a');
      await keyset.rotate();
      const second = await keyset.sign({ sub: 'b' }, 900);
      assert.notEqual(second.kid, first.kid);
      assert.equal((await other.core.identity.keyset.verify(second.token)).sub, 'b');
    } finally {
      await other.cleanup();
    }
  });
});

describe('keyset: two nodes signing first at the same moment', () => {
  test('they agree on one active key, and each verifies the tokens of the other', async () => {
    const a = await createTestRampart();
    const b = await createTestRampart({ tdb: a.tdb });
    try {
      const [ta, tb] = await Promise.all([a.core.identity.keyset.sign({ sub: 'a' }, 60), b.core.identity.keyset.sign({ sub: 'b' }, 60)]);
      assert.equal(ta.kid, tb.kid);
      assert.equal((await a.core.identity.keyset.list()).length, 1);
      assert.equal((await a.core.identity.keyset.verify(tb.token)).sub, 'b');
      assert.equal((await b.core.identity.keyset.verify(ta.token)).sub, 'a');
    } finally {
      await b.cleanup();
      await a.cleanup();
    }
  });
});
