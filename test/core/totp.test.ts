import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as OTPAuth from 'otpauth';
import { hashRecoveryCode, isRecoveryCode, generateRecoveryCodes } from '../../src/core/identity/mfa/recovery-codes.js';
import { matchTotpStep, newTotpSecret, provisioningUri } from '../../src/core/identity/mfa/totp.js';

// RFC 6238 appendix B: the SHA-1 seed is the ASCII string "12345678901234567890".
const rfcSecret = OTPAuth.Secret.fromLatin1('12345678901234567890').base32;
const at = (seconds: number) => new Date(seconds * 1000);

test('the RFC 6238 SHA-1 test vector at T=59 s (94287082) matches as its last six digits, in time step 1', () => {
  assert.equal(matchTotpStep(rfcSecret, '287082', at(59)), 1);
  assert.equal(matchTotpStep(rfcSecret, '287083', at(59)), null);
});

test('the RFC 6238 SHA-1 vector at T=1111111109 (07081804) matches in its own step', () => {
  assert.equal(matchTotpStep(rfcSecret, '081804', at(1111111109)), Math.floor(1111111109 / 30));
});

test('one step of clock drift either side is accepted, two are refused', () => {
  const code = '287082'; // step 1: 30..59 s
  assert.equal(matchTotpStep(rfcSecret, code, at(89)), 1, 'one step later');
  assert.equal(matchTotpStep(rfcSecret, code, at(0)), 1, 'one step earlier');
  assert.equal(matchTotpStep(rfcSecret, code, at(90)), null, 'two steps later');
  assert.equal(matchTotpStep(rfcSecret, '081804', at(1111111109 - 60)), null, 'two steps earlier');
});

test('anything but six digits is not a TOTP code', () => {
  for (const code of ['28708', '2870820', '28708a', '', ' 287082']) assert.equal(matchTotpStep(rfcSecret, code, at(59)), null, code);
});

test('a new secret is 160 random bits in base32, and its provisioning URI is what authenticator apps read', () => {
  const secret = newTotpSecret();
  assert.match(secret, /^[A-Z2-7]{32}$/);
  assert.notEqual(newTotpSecret(), secret);
  const uri = new URL(provisioningUri(secret, 'alice'));
  assert.equal(uri.protocol, 'otpauth:');
  assert.equal(uri.host, 'totp');
  assert.equal(decodeURIComponent(uri.pathname), '/Rampart:alice');
  assert.equal(uri.searchParams.get('secret'), secret);
  assert.equal(uri.searchParams.get('issuer'), 'Rampart');
  assert.equal(uri.searchParams.get('algorithm'), 'SHA1');
  assert.equal(uri.searchParams.get('digits'), '6');
  assert.equal(uri.searchParams.get('period'), '30');
});

test('recovery codes are ten distinct xxxx-xxxx-xxxx codes without ambiguous characters, hashed in any spelling alike', () => {
  const codes = generateRecoveryCodes();
  assert.equal(codes.length, 10);
  assert.equal(new Set(codes).size, 10);
  for (const code of codes) {
    assert.match(code, /^[a-hjkmnp-z2-9]{4}-[a-hjkmnp-z2-9]{4}-[a-hjkmnp-z2-9]{4}$/);
    assert.ok(isRecoveryCode(code));
  }
  const [code] = codes;
  assert.equal(hashRecoveryCode(code.toUpperCase().replaceAll('-', '')), hashRecoveryCode(code));
  assert.match(hashRecoveryCode(code), /^[0-9a-f]{64}$/);
  assert.equal(isRecoveryCode('abcd-efgh-ijkl'), false, 'i and l are never in a code');
  assert.equal(isRecoveryCode('123456'), false);
});
