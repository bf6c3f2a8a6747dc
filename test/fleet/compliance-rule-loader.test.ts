/** Rule files in, rules or precise lint issues out: file, rule id and field of every problem. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { formatIssue, loadRuleDirectory } from '../../src/modules/fleet/compliance/rule-loader.js';
import { ruleDocument } from '../helpers/fleet-rules.js';

describe('rule loader and lint', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  /** A rule directory with these files (name -> document or raw text); the loader's issues as printed lines. */
  function lint(files: Record<string, unknown>) {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-rules-'));
    dirs.push(dir);
    for (const [name, doc] of Object.entries(files)) {
      mkdirSync(join(dir, name, '..'), { recursive: true });
      writeFileSync(join(dir, name), typeof doc === 'string' ? doc : stringify(doc));
    }
    const loaded = loadRuleDirectory(dir);
    return { ...loaded, lines: loaded.issues.map(formatIssue) };
  }

  const check = { method: 'config_value', path: '/etc/login.defs', key: 'PASS_MAX_DAYS', expected: '90', comparator: '<=' };

  test('a valid rule loads with its framework references derived per OS', () => {
    const { rules, lines } = lint({
      'ssh/a.yml': ruleDocument({
        id: 'login-max-days',
        references: {
          cis: { debian12: { section: '5.4.1.1', level: 'L1' }, rhel9: { section: '5.4.1.1' } },
          stig: { rhel9: { vuln_id: 'V-258041', stig_id: 'RHEL-09-411010', severity: 'CAT II' } },
          nist_800_53: ['IA-5(1)'],
          pci_dss_4: ['8.3.9'],
        },
        check,
      }),
    });
    assert.deepEqual(lines, []);
    assert.equal(rules.length, 1);
    assert.deepEqual(rules[0].frameworkRefs, {
      cis_debian12: ['5.4.1.1'],
      cis_rhel9: ['5.4.1.1'],
      stig_rhel9: ['RHEL-09-411010', 'V-258041'],
      nist_800_53: ['IA-5(1)'],
      pci_dss_4: ['8.3.9'],
    });
    assert.equal(rules[0].source, join('ssh', 'a.yml'));
  });

  test('a bad severity names the file, the rule and the field', () => {
    const { rules, lines } = lint({ 'bad.yml': ruleDocument({ id: 'bad-severity', severity: 'urgent', check }) });
    assert.equal(rules.length, 0);
    assert.equal(lines.length, 1);
    assert.match(lines[0], /^bad\.yml:bad-severity:severity: /);
    assert.match(lines[0], /critical.*high.*medium.*low/);
  });

  test('exactly one default implementation, and gates only on the others', () => {
    const none = lint({ 'a.yml': ruleDocument({ id: 'no-default', implementations: [{ when: 'dpkg', check }] }) });
    assert.deepEqual(none.lines, ['a.yml:no-default:implementations: exactly one implementation must have default: true (found 0)']);
    const two = lint({ 'a.yml': ruleDocument({ id: 'two-defaults', implementations: [{ default: true, check }, { default: true, check }] }) });
    assert.match(two.lines.join('\n'), /found 2/);
    const ungated = lint({ 'a.yml': ruleDocument({ id: 'ungated', implementations: [{ check }, { default: true, check }] }) });
    assert.deepEqual(ungated.lines, ['a.yml:ungated:implementations[0].when: a non-default implementation needs a when: capability gate']);
    const unknownCap = lint({ 'a.yml': ruleDocument({ id: 'bad-gate', implementations: [{ when: 'kubernetes', check }, { default: true, check }] }) });
    assert.match(unknownCap.lines[0], /^a\.yml:bad-gate:implementations\[0\]\.when: unknown capability/);
  });

  test('an unknown check method or mechanism lists the known ones', () => {
    const { lines } = lint({
      'a.yml': ruleDocument({ id: 'bad-method', check: { method: 'file_exists', path: '/etc/x' } }),
      'b.yml': ruleDocument({ id: 'bad-mechanism', check, remediation: { mechanism: 'ansible', playbook: 'x' } }),
    });
    assert.match(lines[0], /^a\.yml:bad-method:implementations\[0\]\.check\.method: unknown method "file_exists" \(known: config_value, sysctl_value/);
    assert.match(lines[1], /^b\.yml:bad-mechanism:implementations\[0\]\.remediation\.mechanism: unknown mechanism "ansible" \(known: config_set/);
  });

  test('check fields are validated by their method: unknown fields, bad values, missing fields', () => {
    const { lines } = lint({
      'a.yml': ruleDocument({ id: 'typo', check: { ...check, comparater: '>=' } }),
      'b.yml': ruleDocument({ id: 'bad-mode', check: { method: 'file_permissions', path: '/etc/shadow', mode: 'rw-r-----' } }),
      'c.yml': ruleDocument({ id: 'no-key', check: { method: 'sysctl_value', expected: '0' } }),
      'd.yml': ruleDocument({ id: 'relative', check: { method: 'config_value', path: 'etc/login.defs', key: 'A', expected: 'b' } }),
    });
    assert.deepEqual(lines.map((l) => l.split(': ')[0]), [
      'a.yml:typo:implementations[0].check.comparater',
      'b.yml:bad-mode:implementations[0].check.mode',
      'c.yml:no-key:implementations[0].check.key',
      'd.yml:relative:implementations[0].check.path',
    ]);
    assert.match(lines[0], /unknown field/);
    assert.match(lines[1], /octal mode/);
    assert.match(lines[2], /required field is missing/);
    assert.match(lines[3], /absolute path/);
  });

  test('duplicate ids, undefined variables, unknown top-level fields and broken YAML are reported', () => {
    const { rules, lines } = lint({
      'a/first.yml': ruleDocument({ id: 'same-id', check }),
      'b/second.yml': ruleDocument({ id: 'same-id', check }),
      'c.yml': ruleDocument({ id: 'undefined-var', check: { ...check, expected: '{{ nowhere }}' } }),
      'd.yml': ruleDocument({ id: 'extra-field', check, owner_team: 'ops' }),
      'e.yml': 'id: broken\ntitle: [unclosed\n',
    });
    assert.equal(rules.length, 1);
    assert.deepEqual(lines, [
      `${join('b', 'second.yml')}:same-id:id: duplicate rule id: already defined in ${join('a', 'first.yml')}`,
      'c.yml:undefined-var:implementations[0].check.expected: variable "nowhere" has no value (define it in the rule\'s variables, the variables file, or the scan)',
      'd.yml:extra-field:owner_team: unknown field',
      lines[3],
    ]);
    assert.match(lines[3], /^e\.yml:-:\(yaml\): not valid YAML/);
  });

  test('the variables file supplies defaults to every rule', () => {
    const { rules, lines, variables } = lint({
      'variables.yml': 'max_days: 60\n',
      'a.yml': ruleDocument({ id: 'uses-file-var', check: { ...check, expected: '{{ max_days }}' } }),
    });
    assert.deepEqual(lines, []);
    assert.deepEqual(variables, { max_days: '60' });
    assert.deepEqual(rules[0].variables, { max_days: '60' });
  });
});
