import type { PolicyConfig } from './policy.types.js';

/**
 * A policy's JSON text, and a written record's answer as UTF-8 bytes, made from each group's own text. Parsed groups
 * are immutable and a group sent unchanged is the same object again (policy.model.ts), so a policy of a thousand
 * groups is serialised (and encoded) one changed group at a time.
 */

const groupTexts = new WeakMap<object, string>();
const groupBytes = new WeakMap<object, Buffer>();
/** The text of the policy last serialised: a write stores it and then answers it. */
const policyTexts = new WeakMap<PolicyConfig, string>();
const GROUPS_MARK = '\u0000source_groups\u0000';
const MARK_JSON = JSON.stringify(GROUPS_MARK);

function groupText(group: object): string {
  let text = groupTexts.get(group);
  if (text === undefined) groupTexts.set(group, (text = JSON.stringify(group)));
  return text;
}

function groupUtf8(group: object): Buffer {
  let bytes = groupBytes.get(group);
  if (bytes === undefined) groupBytes.set(group, (bytes = Buffer.from(groupText(group))));
  return bytes;
}

/** JSON.stringify(policy), the same text, with each group's text reused when the group was serialised before. */
export function policyJson(policy: PolicyConfig): string {
  let text = policyTexts.get(policy);
  if (text === undefined) {
    const frame = JSON.stringify({ ...policy, source_groups: GROUPS_MARK });
    text = frame.replace(MARK_JSON, () => `[${policy.source_groups.map(groupText).join(',')}]`);
    policyTexts.set(policy, text);
  }
  return text;
}

/** JSON.stringify(value) of a value holding a policy (a record as the API answers it), the policy's text made by policyJson. */
export function withPolicyJson(value: { policy: PolicyConfig }): string {
  return JSON.stringify({ ...value, policy: GROUPS_MARK }).replace(MARK_JSON, () => policyJson(value.policy));
}

/** withPolicyJson's text as UTF-8, joined from each group's bytes (no 2 MiB string is built, measured or encoded). */
export function withPolicyJsonBytes(value: { policy: PolicyConfig }): Buffer {
  const [outer, inner] = [JSON.stringify({ ...value, policy: GROUPS_MARK }), JSON.stringify({ ...value.policy, source_groups: GROUPS_MARK })];
  const [before, after] = splitAt(outer);
  const [groupsBefore, groupsAfter] = splitAt(inner);
  const parts: Buffer[] = [Buffer.from(before + groupsBefore + '[')];
  value.policy.source_groups.forEach((group, i) => {
    if (i > 0) parts.push(COMMA);
    parts.push(groupUtf8(group));
  });
  parts.push(Buffer.from(']' + groupsAfter + after));
  return Buffer.concat(parts);
}

const COMMA = Buffer.from(',');

function splitAt(text: string): [string, string] {
  const at = text.indexOf(MARK_JSON);
  return [text.slice(0, at), text.slice(at + MARK_JSON.length)];
}
