/** Rampart's own rule set: complete references, every check method in use, and a full run over one session. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { builtinFrameworks, loadBuiltinRules } from '../../src/modules/fleet/compliance/builtin-rules.js';
import { CHECK_METHODS } from '../../src/modules/fleet/compliance/checks/index.js';
import { evaluateRules } from '../../src/modules/fleet/compliance/engine.js';
import { planRemediation } from '../../src/modules/fleet/compliance/remediation/plan.js';
import type { HostSession } from '../../src/modules/fleet/ssh/ssh.types.js';
import { DEBIAN_12, RHEL_9 } from '../helpers/fleet-rules.js';
import { type LocalHost, startLocalHost } from '../helpers/local-host-session.js';

describe('built-in rule set', () => {
  const { rules } = loadBuiltinRules();

  test('at least 60 valid rules, each mapped to CIS, STIG and NIST 800-53', () => {
    assert.ok(rules.length >= 60, `${rules.length} rules`);
    for (const rule of rules) {
      const keys = Object.keys(rule.frameworkRefs);
      assert.ok(keys.some((k) => k.startsWith('cis_')), `${rule.id} has no CIS reference`);
      assert.ok(keys.some((k) => k.startsWith('stig_')), `${rule.id} has no STIG reference`);
      assert.ok(rule.frameworkRefs.nist_800_53?.length, `${rule.id} has no NIST 800-53 reference`);
      assert.ok(rule.description && rule.rationale, `${rule.id} lacks a description or rationale`);
    }
  });

  test('the set covers every area and uses every check method', () => {
    const categories = new Set(rules.map((r) => r.category));
    for (const area of ['accounts', 'ssh', 'sysctl', 'packages', 'services', 'file-permissions', 'mounts', 'audit']) {
      assert.ok(categories.has(area), `no ${area} rules`);
    }
    const methods = new Set(rules.flatMap((r) => r.implementations.map((i) => i.check.method)));
    assert.deepEqual([...methods].sort(), Object.keys(CHECK_METHODS).sort());
    for (const family of ['debian', 'ubuntu', 'rhel']) assert.ok(rules.some((r) => r.platforms.some((p) => p.family === family)), family);
  });

  test('frameworks are listed with titles and rule counts', () => {
    const frameworks = new Map(builtinFrameworks().map((f) => [f.key, f]));
    for (const key of ['cis_debian12', 'cis_ubuntu2204', 'cis_ubuntu2404', 'cis_rhel9', 'stig_rhel9', 'nist_800_53']) {
      assert.ok(frameworks.get(key)?.rule_count, `${key} missing`);
    }
    assert.equal(frameworks.get('nist_800_53')?.rule_count, rules.length);
    assert.equal(frameworks.get('cis_ubuntu2204')?.title, 'CIS Benchmark for Ubuntu 22.04 LTS');
    assert.equal(frameworks.get('stig_rhel9')?.title, 'DISA STIG for Red Hat Enterprise Linux 9');
  });

  test('every automatic remediation plans its steps', () => {
    for (const rule of rules) {
      for (const facts of [DEBIAN_12, RHEL_9]) {
        const plan = planRemediation(rule, facts);
        assert.ok(plan.steps.length > 0 || plan.manual, `${rule.id}: neither steps nor a manual note`);
      }
    }
  });

  describe('the full set on a Debian 12 namespace host', () => {
    let host: LocalHost;
    before(async () => {
      host = await startLocalHost({
        network: true,
        etc: {
          'ssh/sshd_config': 'HostKey /etc/ssh/ssh_host_ed25519_key\nPermitRootLogin no\nPermitEmptyPasswords no\nX11Forwarding yes\n',
          'login.defs': 'PASS_MAX_DAYS 99999\nPASS_MIN_DAYS 1\nENCRYPT_METHOD SHA512\nUMASK 027\n',
        },
        setup: ['chmod 0600 /etc/ssh/sshd_config'],
      });
    });
    after(() => host?.close());

    test('every rule gets a result over one session, with evidence of the command it ran', async () => {
      const commands: string[] = [];
      const session: HostSession = { ...host.session, run: (command, options) => (commands.push(command), host.session.run(command, options)) };
      const results = await evaluateRules(session, rules, { facts: DEBIAN_12 });
      assert.equal(results.length, rules.length);
      const byId = new Map(results.map((r) => [r.rule_id, r]));
      for (const result of results) {
        assert.ok(['pass', 'fail', 'error', 'skipped'].includes(result.status));
        if (result.status === 'skipped') assert.ok(result.skip_reason);
        else assert.ok(result.evidence?.method, `${result.rule_id} has no evidence`);
        if (result.status === 'pass' || result.status === 'fail') assert.ok(result.evidence?.command, `${result.rule_id} ran no command`);
        assert.ok(!Object.keys(result.framework_refs).some((k) => k.endsWith('_rhel9')), 'only Debian 12 references on a Debian host');
      }
      // What the fixtures and the host make of the real checks.
      assert.equal(byId.get('selinux-enforcing')?.status, 'skipped', 'RHEL-only rules are skipped on Debian');
      assert.equal(byId.get('ssh-root-login-disabled')?.status, 'pass');
      assert.equal(byId.get('ssh-x11-forwarding-disabled')?.status, 'fail');
      assert.equal(byId.get('ssh-sshd-config-permissions')?.status, 'pass');
      assert.equal(byId.get('accounts-password-max-age')?.status, 'fail');
      assert.equal(byId.get('accounts-password-min-age')?.status, 'pass');
      assert.equal(byId.get('accounts-root-only-uid-zero')?.status, 'pass');
      assert.equal(byId.get('sysctl-ipv4-forwarding-disabled')?.status, 'pass', 'a fresh network namespace does not forward');
      assert.equal(byId.get('package-telnet-server-absent')?.evidence?.command.includes("'telnetd'"), true, 'the dpkg implementation was picked');
      assert.equal(byId.get('service-auditd-running')?.status, 'error', 'no systemd in the namespace: service rules say so');
      // Shared commands: far fewer runs than rules (sshd -T once for every sshd rule).
      assert.equal(commands.filter((c) => c === 'sshd -T').length, 1);
      assert.ok(commands.length < rules.length, `${commands.length} commands for ${rules.length} rules`);
    });
  });
});
