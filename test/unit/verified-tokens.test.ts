import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createVerifiedTokens, type VerifiedClaims } from '../../src/core/identity/sessions/verified-tokens.js';

const claims = (sub: string) => ({ sub, kid: 'k1' }) as unknown as VerifiedClaims;

test('verified tokens: a token in use survives eviction; the least recently used goes first', () => {
  const tokens = createVerifiedTokens(2);
  tokens.remember('a', claims('a'), tokens.mark());
  tokens.remember('b', claims('b'), tokens.mark());
  assert.equal(tokens.get('a')?.sub, 'a'); // a is now the most recently used
  tokens.remember('c', claims('c'), tokens.mark());
  assert.equal(tokens.get('b'), undefined);
  assert.equal(tokens.get('a')?.sub, 'a');
  assert.equal(tokens.get('c')?.sub, 'c');
});

test('verified tokens: a verification that began before forget() is not remembered', () => {
  const tokens = createVerifiedTokens(2);
  const mark = tokens.mark();
  tokens.forget();
  tokens.remember('a', claims('a'), mark);
  assert.equal(tokens.get('a'), undefined);
});
