import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { translateRustRegex } from '../../src/modules/egress/policy/rust-regex.js';

/** The translated regex, compiled; fails the test when there is none. */
function js(pattern: string, caseInsensitive = true): RegExp {
  const t = translateRustRegex(pattern, caseInsensitive);
  assert.ok(t.ok, `expected ${JSON.stringify(pattern)} to translate: ${t.ok ? '' : t.message}`);
  return new RegExp(t.regex.source, t.regex.flags);
}
function refused(pattern: string, caseInsensitive = true): string {
  const t = translateRustRegex(pattern, caseInsensitive);
  assert.equal(t.ok, false, `expected ${JSON.stringify(pattern)} to be refused`);
  return (t as { message: string }).message;
}

describe('Rust regex syntax (Neuwerk) matched the same in JavaScript', () => {
  test('anchors \\A and \\z, (?i), named groups (?P<name>...)', () => {
    const re = js('\\A(?P<sub>[a-z0-9-]+)\\.example\\.com\\z');
    assert.ok(re.test('API-1.Example.com'));
    assert.ok(!re.test('api.example.com.evil'));
    const sensitive = js('(?i)^/Admin', false);
    assert.ok(sensitive.test('/admin/x'), 'a leading (?i) makes a case-sensitive field case-insensitive');
    assert.ok(js('(?-i)^Api$', true).test('Api') && !js('(?-i)^Api$', true).test('api'), 'a leading (?-i) turns it off');
  });

  test('. excludes only \\n; (?s) and (?m) per token; (?x) ignores whitespace and comments; (?U) swaps greed', () => {
    assert.ok(js('^a.b$').test('a\rb'), 'Rust . matches \\r');
    assert.ok(!js('^a.b$').test('a\nb'));
    assert.ok(js('(?s)^a.b$').test('a\nb'));
    assert.ok(js('(?m)^b$').test('a\nb'));
    assert.ok(!js('^b$').test('a\nb'));
    assert.ok(js('(?x) ^ api \\. example # the domain\n \\. com $').test('api.example.com'));
    assert.equal('aaa'.match(js('(?U)a+'))![0], 'a');
  });

  test('Unicode-aware \\d \\w \\b as in Rust; ASCII ones under (?-u); POSIX classes; \\x{..} and \\p{Greek}', () => {
    assert.ok(js('^\\d+$').test('٣٤'), 'Arabic-Indic digits are \\d in Rust');
    assert.ok(!js('(?-u)^\\d+$').test('٣٤'));
    assert.ok(js('^\\w+$').test('straße'));
    assert.ok(js('\\bmünchen\\b').test('in münchen.'));
    assert.ok(js('^[[:alpha:]]+[[:digit:]]$').test('abc1'));
    assert.ok(js('^\\x{41}\\u0042$', false).test('AB'));
    assert.ok(js('^\\p{Greek}+$').test('αβγ'));
    assert.ok(js('^\\p{greek}\\p{lowercase letter}\\p{sc=Latin}$', false).test('αbc'), 'property names are matched loosely, as Rust does');
    assert.ok(js('^[]a]+$').test(']a]'), 'a ] first in a class is literal');
    assert.ok(js('^a\\#b\\-c$', false).test('a#b-c'), 'escaped punctuation is literal');
  });

  test('what Neuwerk refuses, or JavaScript cannot express faithfully, is refused with a reason', () => {
    assert.match(refused('(a)\\1'), /not a valid regex: backreferences/);
    assert.match(refused('(?=api)'), /look-around is not supported/);
    assert.match(refused('\\Z'), /unrecognized escape sequence \\Z/);
    assert.match(refused('a(?i)b', false), /cannot be translated faithfully.*case sensitivity/);
    assert.match(refused('[a-z&&[^x]]'), /set operations/);
    assert.match(refused('[a[b]]'), /nested character classes/);
    assert.match(refused('(?R)^a$'), /CRLF mode/);
    assert.match(refused('(unclosed'), /not a valid regex: unclosed group/);
    assert.match(refused('   '), /the regex is empty/);
    assert.match(refused('(?)a'), /empty flag group/);
    assert.match(refused('(?i-)a'), /may not end in "-"/);
  });
});
