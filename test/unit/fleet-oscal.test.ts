import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assessmentResults, nistControlId, oscalToken, stableUuid, type OscalRuleResult } from '../../src/modules/fleet/oscal/assessment-results.js';
import { oscalProblems, type Json } from '../helpers/oscal.js';

const SCAN = {
  id: '0f6b3c1e-2d4a-4b5c-8d6e-7f8091a2b3c4', status: 'completed', queued_at: '2026-12-07T04:00:00.000Z',
  started_at: '2026-12-07T04:00:01.000Z', finished_at: '2026-12-07T04:00:09.000Z', policy_version: 'sha256:abc', score: 50,
};
const HOST = { id: '5a1d2c3b-4e5f-4a6b-9c7d-8e9f0a1b2c3d', hostname: 'db-1', ip_address: 'fd00::10' };

const result = (over: Partial<OscalRuleResult>): OscalRuleResult => ({
  rule_id: 'rule', title: 'A rule', description: 'What the rule checks.', status: 'pass', severity: 'medium',
  framework_refs: {}, skip_reason: null,
  evidence: { method: 'command', command: 'true', stdout: '', stderr: '', exit_code: 0, expected: '0', actual: '0', truncated: false },
  ...over,
});

const build = (results: OscalRuleResult[], ruleId?: string) =>
  assessmentResults({ scan: SCAN, host: HOST, results, ruleId, generatedAt: '2026-12-07T05:00:00.000Z', rampartVersion: '0.1.0' }) as unknown as Json;

test('NIST SP 800-53 ids take the catalog spelling; any rule id becomes a valid OSCAL token', () => {
  assert.equal(nistControlId('AC-6(2)'), 'ac-6.2');
  assert.equal(nistControlId(' IA-5 (1) '), 'ia-5.1');
  assert.equal(nistControlId('SC-7(10)(a)'), 'sc-7.10.a');
  assert.equal(oscalToken('1.2.3 sshd/root login'), '_1.2.3-sshd-root-login');
  assert.match(stableUuid('a', 'b'), /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.notEqual(stableUuid('a', 'b'), stableUuid('ab', ''), 'parts are kept apart');
});

test('pass, fail and error are judged; a skipped rule is observed with its reason and judged nothing', () => {
  const doc = build([
    result({ rule_id: 'ok', status: 'pass' }),
    result({ rule_id: 'bad', status: 'fail' }),
    result({ rule_id: 'broken', status: 'error', evidence: { method: 'command', command: 'x', stdout: '', stderr: 'x: not found', exit_code: 127, expected: '0', actual: '127', truncated: false } }),
    result({ rule_id: 'na', status: 'skipped', skip_reason: 'no sshd on this host', evidence: null, description: '' }),
  ]);
  assert.deepEqual(oscalProblems(doc), []);
  const r = doc['assessment-results'].results[0];
  const states = Object.fromEntries(r.findings.map((f: Json) => [f.target['target-id'], `${f.target.status.state}/${f.target.status.reason}`]));
  assert.deepEqual(states, { ok: 'satisfied/pass', bad: 'not-satisfied/fail', broken: 'not-satisfied/other' });
  const skipped = r.observations.find((o: Json) => o.props.some((p: Json) => p.name === 'rule-id' && p.value === 'na'));
  assert.equal(skipped.remarks, 'no sshd on this host');
  assert.equal(skipped['relevant-evidence'], undefined, 'nothing ran');
  assert.ok(skipped.description.trim(), 'a rule without a description still gets one');
  const broken = r.observations.find((o: Json) => o.props.some((p: Json) => p.name === 'rule-id' && p.value === 'broken'));
  assert.match(broken['relevant-evidence'][0].remarks, /Standard error: x: not found/);
  assert.equal(broken['relevant-evidence'][0].props.find((p: Json) => p.name === 'exit-code').value, '127');
});

test('no NIST mapping means include-all; empty output adds no resource; an IPv6 host keeps its address', () => {
  const doc = build([result({ framework_refs: { cis_debian12: ['5.1.20'] } })]);
  assert.deepEqual(oscalProblems(doc), []);
  const ar = doc['assessment-results'];
  assert.deepEqual(ar.results[0]['reviewed-controls']['control-selections'], [{ 'include-all': {} }]);
  assert.deepEqual(ar['back-matter'].resources.map((x: Json) => x.title), ['Rampart compliance rule set'], 'only the plan');
  const item = ar.results[0]['local-definitions']['inventory-items'][0];
  assert.deepEqual(item.props.find((p: Json) => p.name === 'ipv6-address'), { name: 'ipv6-address', value: 'fd00::10' });
  assert.deepEqual(ar.results[0].findings[0].props.find((p: Json) => p.name === 'framework-reference'), {
    name: 'framework-reference', value: '5.1.20', ns: 'urn:rampart:fleet:oscal', class: 'cis_debian12',
  });
});

test('a scan still running has a start, no end and nothing judged yet; the per-rule form names the rule', () => {
  const doc = assessmentResults({
    scan: { ...SCAN, status: 'running', finished_at: null, score: null }, host: HOST, results: [], ruleId: 'rule',
    generatedAt: '2026-12-07T05:00:00.000Z', rampartVersion: '0.1.0',
  }) as unknown as Json;
  assert.deepEqual(oscalProblems(doc), []);
  const r = doc['assessment-results'].results[0];
  assert.equal(r.start, SCAN.started_at);
  assert.equal('end' in r, false);
  assert.equal('findings' in r || 'observations' in r, false, 'no empty lists: OSCAL arrays hold at least one item');
  assert.match(doc['assessment-results'].metadata.title, /rule rule on db-1/);
});
