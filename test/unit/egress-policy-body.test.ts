import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parsePolicyBody } from '../../src/modules/egress/routes/policy-body.js';

const group = (g: number, port = 443) => ({
  id: `g${g}`,
  sources: { cidrs: [`10.0.${g}.0/24`] },
  rules: [{ id: 'r', action: 'allow', match: { proto: 'tcp', dst_ports: [port], dst_hostname: 'a"b\\"c\\\\' } }],
});
const body = (groups: unknown[], extra: Record<string, unknown> = {}) => ({ name: 'p', mode: 'enforce', policy: { default_policy: 'deny', source_groups: groups }, ...extra });

/** parsePolicyBody gives what JSON.parse gives, or leaves the text to it (undefined). */
function same(text: string): unknown {
  const parsed = parsePolicyBody(text);
  let expected: unknown;
  try {
    expected = JSON.parse(text);
  } catch {
    assert.equal(parsed, undefined, `invalid JSON must go to the default parser: ${text.slice(0, 80)}`);
    return undefined;
  }
  if (parsed !== undefined) assert.deepEqual(parsed, expected);
  return parsed;
}

describe('egress policy body: parsed group by group, the same value as JSON.parse', () => {
  test('an unchanged group is the same object as in the last body; a changed one is parsed afresh', () => {
    const first = same(JSON.stringify(body([group(1), group(2), group(3)]))) as any;
    assert.ok(first);
    const second = same(JSON.stringify(body([group(1), group(2, 80), group(3)]))) as any;
    assert.equal(second.policy.source_groups[0], first.policy.source_groups[0]);
    assert.notEqual(second.policy.source_groups[1], first.policy.source_groups[1]);
    assert.equal(second.policy.source_groups[1].rules[0].match.dst_ports[0], 80);
    // Reordered and with a group inserted: found by text wherever they are.
    const third = same(JSON.stringify(body([group(3), group(4), group(1)]))) as any;
    assert.equal(third.policy.source_groups[0], first.policy.source_groups[2]);
    assert.equal(third.policy.source_groups[2], first.policy.source_groups[0]);
    assert.ok(Object.isFrozen(third.policy.source_groups[1].rules[0].match), 'shared groups cannot be changed by a reader');
    // The same groups written otherwise (indented) are other texts: parsed again, to equal values.
    const pretty = same(JSON.stringify(body([group(3), group(4), group(1)]), null, 2)) as any;
    assert.notEqual(pretty.policy.source_groups[0], third.policy.source_groups[0]);
  });

  test('keys in any order, whitespace anywhere, members after the groups', () => {
    const g = JSON.stringify(group(7));
    for (const text of [
      `{"policy":{"source_groups":[${g}],"default_policy":"deny"},"mode":"audit"}`,
      ` {\n "mode" : "enforce" ,\t"policy" : { "source_groups" : [ ${g} , ${g} ] } , "name":null}\r\n`,
      '{"policy":{"source_groups":[]}}',
      `{"policy":{"source_groups":[1,"x",null,[2,{"a":[]}]]}}`,
    ]) assert.ok(same(text) !== undefined, text);
  });

  test('what it does not expect goes to the default parser, with its errors and checks', () => {
    const g = JSON.stringify(group(8));
    for (const text of [
      `{"policy":{"source_groups":[${g},]}}`,
      `{"policy":{"source_groups":[${g}}}`,
      `{"policy":{"source_groups":[${g}] }`,
      `{"policy":{"source_groups":[${g.slice(0, -1)}]}}`,
      `{"policy":{"source_groups":[${g}]}}x`,
      `{"policy":{"source_groups":[${g}]},"policy":{"source_groups":[]}}`,
      `{"policy":{"source_groups":[${g}],"source_groups":[]}}`,
      `{"policy":{"source_groups":[{"__proto__":{"x":1}}]}}`,
      `{"policy":{"source_groups":[{"\\u005f_proto__":{"x":1}}]}}`,
      `{"policy":{"source_groups":[{"constructor":{"prototype":{}}}]}}`,
      `{"policy":{"source_groups":[{"id":"a\u0001b"}]}}`,
      `{"policy":{"source_groups":[{"id":"unterminated}]}}`,
      '{"policy":{"source_groups":{}}}',
      '{"policy":[]}',
      '[]',
      '',
    ]) assert.equal(same(text), undefined, text);
    // A cached group text followed by more of the same value is not taken for that group.
    same(`{"policy":{"source_groups":[${g}]}}`);
    assert.equal(same(`{"policy":{"source_groups":[${g}x]}}`), undefined);
  });

  test('random edits of a body parse to what JSON.parse gives, or fall back', () => {
    const base = JSON.stringify(body(Array.from({ length: 20 }, (_, g) => group(g))));
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    same(base);
    const alphabet = '{}[]",:\\ 0a';
    for (let i = 0; i < 2000; i++) {
      const at = rand(base.length);
      const edit = rand(3);
      const ch = alphabet[rand(alphabet.length)];
      const text = edit === 0 ? base.slice(0, at) + ch + base.slice(at) : edit === 1 ? base.slice(0, at) + base.slice(at + 1) : base.slice(0, at) + ch + base.slice(at + 1);
      same(text);
    }
  });
});
