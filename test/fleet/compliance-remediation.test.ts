/**
 * Remediation primitives on a namespace host: dry run shows the diff and changes nothing, apply changes the file
 * (and the rule then passes), rollback from the recorded prior state puts back exactly what was there.
 */
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { evaluateRules } from '../../src/modules/fleet/compliance/engine.js';
import { planRemediation } from '../../src/modules/fleet/compliance/remediation/plan.js';
import type { PriorState } from '../../src/modules/fleet/compliance/remediation/step.js';
import type { ComplianceRule } from '../../src/modules/fleet/compliance/rule.types.js';
import { DEBIAN_12, ruleOf } from '../helpers/fleet-rules.js';
import { type LocalHost, readUpper, startLocalHost } from '../helpers/local-host-session.js';

const LOGIN_DEFS = '# login settings\nPASS_MAX_DAYS\t99999\nPASS_MIN_DAYS 0\nUMASK 022\n';

describe('remediation primitives', () => {
  let host: LocalHost;
  before(async () => {
    host = await startLocalHost({
      network: true,
      etc: { 'login.defs': LOGIN_DEFS, 'rampart-secret': 'secret\n' },
      setup: ['chmod 0664 /etc/rampart-secret', 'sysctl -q -w net.ipv4.conf.all.send_redirects=1'],
    });
  });
  after(() => host?.close());

  async function status(rule: ComplianceRule) {
    return (await evaluateRules(host.session, [rule], { facts: DEBIAN_12 }))[0].status;
  }

  /** Applies every step, returning the prior states a journal would keep (through JSON, as a journal would). */
  async function applyAll(rule: ComplianceRule): Promise<PriorState[]> {
    const priors: PriorState[] = [];
    for (const step of planRemediation(rule, DEBIAN_12).steps) priors.push(JSON.parse(JSON.stringify(await step.apply(host.session))));
    return priors;
  }

  async function rollbackAll(rule: ComplianceRule, priors: PriorState[]) {
    const steps = planRemediation(rule, DEBIAN_12).steps;
    for (let i = steps.length - 1; i >= 0; i--) await steps[i].rollback(host.session, priors[i]);
  }

  test('config_set: dry-run diff, apply fixes the file, rollback restores it byte for byte', async () => {
    const rule = ruleOf({
      variables: { max_days: '365' },
      check: { method: 'config_value', path: '/etc/login.defs', key: 'PASS_MAX_DAYS', expected: '{{ max_days }}', comparator: '<=' },
      remediation: { mechanism: 'config_set', path: '/etc/login.defs', key: 'PASS_MAX_DAYS', value: '{{ max_days }}' },
    });
    assert.equal(await status(rule), 'fail');
    const [step] = planRemediation(rule, DEBIAN_12).steps;
    const dry = await step.dryRun(host.session);
    assert.equal(dry.description, 'set PASS_MAX_DAYS to 365 in /etc/login.defs');
    assert.equal(dry.diff, '--- /etc/login.defs\n+++ /etc/login.defs\n@@ -1,4 +1,4 @@\n # login settings\n-PASS_MAX_DAYS\t99999\n+PASS_MAX_DAYS 365\n PASS_MIN_DAYS 0\n UMASK 022\n');
    assert.equal(await host.readFile('/etc/login.defs'), LOGIN_DEFS, 'a dry run changes nothing');

    const priors = await applyAll(rule);
    assert.equal(await host.readFile('/etc/login.defs'), '# login settings\nPASS_MAX_DAYS 365\nPASS_MIN_DAYS 0\nUMASK 022\n');
    assert.equal(await status(rule), 'pass');
    assert.match((await step.dryRun(host.session)).description, /already so: no change/);

    await rollbackAll(rule, priors);
    assert.equal(await host.readFile('/etc/login.defs'), LOGIN_DEFS);
    assert.equal(await status(rule), 'fail');
  });

  test('file_line creates a missing file, and rollback removes it again', async () => {
    const rule = ruleOf({
      check: { method: 'kernel_module_state', name: 'cramfs' },
      remediation: { mechanism: 'file_line', path: '/etc/modprobe.d/cramfs.conf', line: 'install cramfs /bin/false' },
    });
    assert.equal(await status(rule), 'fail');
    const dry = await planRemediation(rule, DEBIAN_12).steps[0].dryRun(host.session);
    assert.match(dry.diff ?? '', /\+install cramfs \/bin\/false/);
    const priors = await applyAll(rule);
    assert.equal(readUpper(host, 'modprobe.d/cramfs.conf'), 'install cramfs /bin/false\n');
    assert.equal(await status(rule), 'pass');
    await rollbackAll(rule, priors);
    assert.equal(existsSync(join(host.etcUpper, 'modprobe.d/cramfs.conf')), false);
    assert.equal(await status(rule), 'fail');
  });

  test('file_permissions removes excess mode bits and rollback restores the old mode', async () => {
    const rule = ruleOf({
      check: { method: 'file_permissions', path: '/etc/rampart-secret', owner: 'root', mode: '0640' },
      remediation: { mechanism: 'file_permissions', path: '/etc/rampart-secret', owner: 'root', mode: '0640' },
    });
    assert.equal(await status(rule), 'fail');
    const priors = await applyAll(rule);
    assert.equal(statSync(join(host.etcUpper, 'rampart-secret')).mode & 0o7777, 0o640);
    assert.equal(await status(rule), 'pass');
    await rollbackAll(rule, priors);
    assert.equal(statSync(join(host.etcUpper, 'rampart-secret')).mode & 0o7777, 0o664);
  });

  test('sysctl_set persists the value and sets the running kernel; rollback undoes both', async () => {
    const rule = ruleOf({
      check: { method: 'sysctl_value', key: 'net.ipv4.conf.all.send_redirects', expected: 0 },
      remediation: { mechanism: 'sysctl_set', key: 'net.ipv4.conf.all.send_redirects', value: 0 },
    });
    assert.equal(await status(rule), 'fail');
    const priors = await applyAll(rule);
    assert.equal(readUpper(host, 'sysctl.d/60-rampart.conf'), 'net.ipv4.conf.all.send_redirects = 0\n');
    assert.equal(await status(rule), 'pass');
    await rollbackAll(rule, priors);
    assert.equal(existsSync(join(host.etcUpper, 'sysctl.d/60-rampart.conf')), false);
    assert.equal(await status(rule), 'fail');
  });

  test('a manual remediation plans no steps and says what to do', () => {
    const rule = ruleOf({
      check: { method: 'mount_option', mount_point: '/tmp', options: ['nodev'] },
      remediation: { mechanism: 'manual', note: 'Mount /tmp with nodev in /etc/fstab.' },
    });
    const plan = planRemediation(rule, DEBIAN_12);
    assert.deepEqual(plan.steps, []);
    assert.equal(plan.manual, 'Mount /tmp with nodev in /etc/fstab.');
  });
});
