/** If-None-Match against an ETag under RFC 9110's weak comparison, in every form clients send. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ifNoneMatchHits } from '../../src/http/etag.js';

const TAG = '"3f2a"';

test('quoted, bare (ncclient strips the quotes), weak, lists and * match', () => {
  for (const header of ['"3f2a"', '3f2a', 'W/"3f2a"', 'W/3f2a', '"x", "3f2a"', 'x,3f2a', '"x",,  W/"3f2a" ', '*', ' * ', ['"x"', '"3f2a"']]) {
    assert.equal(ifNoneMatchHits(header, TAG), true, JSON.stringify(header));
  }
  assert.equal(ifNoneMatchHits('"3f2a"', 'W/"3f2a"'), true, 'a weak current tag compares weakly too');
});

test('other tags, prefixes of the tag, empty and absent headers do not match', () => {
  for (const header of ['"3f2b"', '3f2', '"3f2a0"', '"x", "y"', '', ' ', ',', undefined, 'W/', '"3f2a']) {
    assert.equal(ifNoneMatchHits(header, TAG), false, JSON.stringify(header));
  }
  // A bare header is a list of tokens, so it never stands for one tag holding a comma or a space.
  assert.equal(ifNoneMatchHits('a,b', '"a,b"'), false);
  assert.equal(ifNoneMatchHits('a b', '"a b"'), false);
});
