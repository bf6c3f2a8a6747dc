/**
 * The engine around the checks: platforms, capability gating, site variables, quoting of hostile values, framework
 * filters, and how commands are shared and bounded over one session.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { detectCapabilities } from '../../src/modules/fleet/compliance/capabilities.js';
import { evaluateRules } from '../../src/modules/fleet/compliance/engine.js';
import type { HostSession } from '../../src/modules/fleet/ssh/ssh.types.js';
import { DEBIAN_12, RHEL_9, ruleOf } from '../helpers/fleet-rules.js';
import { type LocalHost, startLocalHost } from '../helpers/local-host-session.js';

describe('compliance engine', () => {
  let host: LocalHost;
  before(async () => {
    host = await startLocalHost({ etc: { 'login.defs': 'PASS_MAX_DAYS 90\n' } });
  });
  after(() => host?.close());

  const maxDaysRule = (variables?: Record<string, string>) =>
    ruleOf({
      variables,
      check: { method: 'config_value', path: '/etc/login.defs', key: 'PASS_MAX_DAYS', expected: '{{ max_days }}', comparator: '<=' },
    });

  test('a rule for another platform is skipped with the reason, running nothing', async () => {
    const rule = ruleOf({ platforms: [{ family: 'debian', min_version: '12' }], check: { method: 'command', run: 'touch /etc/ran' } });
    const [onRhel] = await evaluateRules(host.session, [rule], { facts: RHEL_9 });
    assert.equal(onRhel.status, 'skipped');
    assert.equal(onRhel.evidence, null);
    assert.match(onRhel.skip_reason ?? '', /for debian >= 12; the host runs rhel 9\.4/);
    const [unknown] = await evaluateRules(host.session, [rule], { facts: { ...DEBIAN_12, os_family: null, os_version: null } });
    assert.equal(unknown.status, 'skipped');
    assert.match(unknown.skip_reason ?? '', /unknown OS/);
    const [olderDebian] = await evaluateRules(host.session, [rule], { facts: { ...DEBIAN_12, os_version: '11' } });
    assert.equal(olderDebian.status, 'skipped');
    assert.equal(existsSync(join(host.etcUpper, 'ran')), false);
    // Rocky and Alma are graded as RHEL.
    const rhelRule = ruleOf({ platforms: [{ family: 'rhel', min_version: '9' }], check: { method: 'command', run: 'true' } });
    const [onRocky] = await evaluateRules(host.session, [rhelRule], { facts: { ...RHEL_9, os_family: 'rocky' } });
    assert.equal(onRocky.status, 'pass');
  });

  test('capabilities pick the implementation; the default one runs when no gate holds', async () => {
    const capabilities = await detectCapabilities(host.session);
    assert.ok(capabilities.has('dpkg') && capabilities.has('sshd'), [...capabilities].join(','));
    assert.ok(!capabilities.has('rpm') && !capabilities.has('systemd'), [...capabilities].join(','));
    const implementations = (gate: unknown) => [
      { when: gate, check: { method: 'command', run: 'echo gated' } },
      { default: true, check: { method: 'command', run: 'echo default' } },
    ];
    const rules = [
      ruleOf({ implementations: implementations('dpkg') }),
      ruleOf({ implementations: implementations('rpm') }),
      ruleOf({ implementations: implementations({ not: 'systemd' }) }),
      ruleOf({ implementations: implementations({ any: ['rpm', 'dpkg'] }) }),
      ruleOf({ implementations: implementations({ all: ['dpkg', 'systemd'] }) }),
    ];
    const results = await evaluateRules(host.session, rules, { facts: DEBIAN_12 });
    assert.deepEqual(results.map((r) => r.evidence?.stdout.trim()), ['gated', 'default', 'gated', 'gated', 'default']);
  });

  test('site variables: the rule default, the variables file over it, the caller over both', async () => {
    const [ruleDefault] = await evaluateRules(host.session, [maxDaysRule({ max_days: '365' })], { facts: DEBIAN_12 });
    assert.equal(ruleDefault.status, 'pass');
    assert.equal(ruleDefault.evidence?.expected, 'PASS_MAX_DAYS <= 365 in /etc/login.defs');
    const fromFile = ruleOf(
      { variables: { max_days: '365' }, check: { method: 'config_value', path: '/etc/login.defs', key: 'PASS_MAX_DAYS', expected: '{{ max_days }}', comparator: '<=' } },
      { max_days: '60' },
    );
    const [fileWins] = await evaluateRules(host.session, [fromFile], { facts: DEBIAN_12 });
    assert.equal(fileWins.status, 'fail');
    assert.equal(fileWins.evidence?.expected, 'PASS_MAX_DAYS <= 60 in /etc/login.defs');
    const [callerWins] = await evaluateRules(host.session, [fromFile], { facts: DEBIAN_12, variables: { max_days: '120' } });
    assert.equal(callerWins.status, 'pass');
    const [notANumber] = await evaluateRules(host.session, [fromFile], { facts: DEBIAN_12, variables: { max_days: 'many' } });
    assert.equal(notANumber.status, 'error');
    assert.match(notANumber.evidence?.actual ?? '', /"many" is not a number/);
  });

  test('hostile values reach commands as data, never as shell syntax', async () => {
    const hostile = `x'; touch /etc/pwned-var; echo '$(touch /etc/pwned-sub)\`touch /etc/pwned-tick\``;
    const echoRule = ruleOf({ variables: { value: 'safe' }, check: { method: 'command', run: 'printf %s {{ value }}' } });
    const pathRule = ruleOf({ check: { method: 'config_value', path: "/etc/login.defs'; touch /etc/pwned-path; echo '", key: 'A', expected: 'b' } });
    const packageRule = ruleOf({ check: { method: 'file_permissions', path: '/etc/x$(touch /etc/pwned-glob)*', mode: '0600' } });
    const [echoed, path, glob] = await evaluateRules(host.session, [echoRule, pathRule, packageRule], { facts: DEBIAN_12, variables: { value: hostile } });
    assert.equal(echoed.evidence?.stdout, hostile, 'the variable arrives byte for byte');
    assert.equal(path.status, 'fail');
    assert.match(path.evidence?.actual ?? '', /does not exist/);
    assert.equal(glob.status, 'fail');
    for (const marker of ['pwned-var', 'pwned-sub', 'pwned-tick', 'pwned-path', 'pwned-glob']) {
      assert.equal(existsSync(join(host.etcUpper, marker)), false, `${marker} was created: a value ran as a command`);
    }
    const [nul] = await evaluateRules(host.session, [echoRule], { facts: DEBIAN_12, variables: { value: 'a\0b' } });
    assert.equal(nul.status, 'error');
    assert.match(nul.error_reason ?? '', /NUL byte/);
  });

  test('framework filters select rules; results carry only the references for the host OS', async () => {
    const cisOnly = ruleOf({
      references: { cis: { debian12: { section: '1.1' }, rhel9: { section: '2.2' } }, nist_800_53: ['CM-6'] },
      check: { method: 'command', run: 'true' },
    });
    const stigOnly = ruleOf({ references: { stig: { rhel9: { vuln_id: 'V-2' } } }, check: { method: 'command', run: 'true' } });
    const byKey = await evaluateRules(host.session, [cisOnly, stigOnly], { facts: DEBIAN_12, frameworks: ['cis_debian12'] });
    assert.deepEqual(byKey.map((r) => r.rule_id), [cisOnly.id]);
    assert.deepEqual(byKey[0].framework_refs, { cis_debian12: ['1.1'], nist_800_53: ['CM-6'] });
    const byFamily = await evaluateRules(host.session, [cisOnly, stigOnly], { facts: DEBIAN_12, frameworks: ['stig'] });
    assert.deepEqual(byFamily.map((r) => r.rule_id), [stigOnly.id]);
    assert.equal((await evaluateRules(host.session, [cisOnly, stigOnly], { facts: DEBIAN_12 })).length, 2);
  });

  test('one command serves every rule that needs it; commands in flight stay within the bound', async () => {
    const counting = countingSession(host.session);
    const sshdRules = ['PermitRootLogin', 'PermitEmptyPasswords', 'X11Forwarding'].map((key) =>
      ruleOf({ check: { method: 'sshd_effective_config', key, expected: 'no' } }),
    );
    const sleepers = Array.from({ length: 12 }, (_, i) => ruleOf({ check: { method: 'command', run: `sleep 0.3; echo ${i}` } }));
    const results = await evaluateRules(counting.session, [...sshdRules, ...sleepers], { facts: DEBIAN_12, concurrency: 4 });
    assert.equal(results.length, 15);
    assert.equal(counting.runs.filter((c) => c === 'sshd -T').length, 1, 'sshd -T ran once for three rules');
    assert.ok(counting.maxInFlight <= 4, `at most 4 commands at once, saw ${counting.maxInFlight}`);
    assert.ok(counting.maxInFlight >= 2, 'commands do run concurrently');
    assert.deepEqual(results.slice(3).map((r) => r.evidence?.stdout.trim()), sleepers.map((_, i) => String(i)), 'results keep the rules\' order');
  });
});

/** Wraps a session to record the commands run and the most in flight at once. */
function countingSession(inner: HostSession) {
  const runs: string[] = [];
  let inFlight = 0;
  const state = { runs, maxInFlight: 0, session: undefined as unknown as HostSession };
  state.session = {
    ...inner,
    async run(command, options) {
      runs.push(command);
      state.maxInFlight = Math.max(state.maxInFlight, ++inFlight);
      try {
        return await inner.run(command, options);
      } finally {
        inFlight--;
      }
    },
  };
  return state;
}
