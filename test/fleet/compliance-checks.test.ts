/**
 * Every check method, passing and failing, on a namespace host whose /etc holds fixture files: the checks run the
 * real tools (sshd -T, sysctl, dpkg-query, stat, findmnt, awk) against real files.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { evaluateRules } from '../../src/modules/fleet/compliance/engine.js';
import type { RuleResult } from '../../src/modules/fleet/compliance/rule.types.js';
import { DEBIAN_12, ruleOf } from '../helpers/fleet-rules.js';
import { type LocalHost, startLocalHost } from '../helpers/local-host-session.js';

describe('compliance check methods on a namespace host', () => {
  let host: LocalHost;
  before(async () => {
    host = await startLocalHost({
      network: true,
      etc: {
        'login.defs': 'PASS_MAX_DAYS\t90\nPASS_MIN_DAYS 0\n# PASS_WARN_AGE 7\nUMASK 022\n',
        'ssh/sshd_config': 'HostKey /etc/ssh/ssh_host_ed25519_key\nPermitRootLogin no\nX11Forwarding yes\nCiphers aes128-cbc,aes256-ctr\n',
        'modprobe.d/cramfs.conf': 'install cramfs /bin/false\nblacklist cramfs\n',
        'audit/rules.d/50-test.rules': '-w /etc/passwd -p wa -k identity\n-a always,exit -F arch=b64 -S chmod,fchmod -F auid>=1000 -F key=perm_mod\n',
        'default/grub': 'GRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX="quiet audit=1"\n',
        'selinux/config': 'SELINUX=permissive\nSELINUXTYPE=targeted\n',
        'rampart-secret': 'secret\n',
      },
      setup: [
        'chmod 0644 /etc/rampart-secret',
        'mount -t tmpfs -o nodev,nosuid tmpfs /mnt',
        'sysctl -q -w net.ipv4.ip_forward=1',
        'sysctl -q -w net.ipv4.conf.all.send_redirects=0',
      ],
    });
  });
  after(() => host?.close());

  async function evaluate(...checks: Record<string, unknown>[]): Promise<RuleResult[]> {
    return evaluateRules(host.session, checks.map((check) => ruleOf({ check })), { facts: DEBIAN_12 });
  }

  function statuses(results: RuleResult[]) {
    return results.map((r) => `${r.status}: ${r.evidence?.actual}`);
  }

  test('config_value compares a key of a real file, numerically with comparators', async () => {
    const [maxDays, minDays, unset, missing] = await evaluate(
      { method: 'config_value', path: '/etc/login.defs', key: 'PASS_MAX_DAYS', expected: 365, comparator: '<=' },
      { method: 'config_value', path: '/etc/login.defs', key: 'PASS_MIN_DAYS', expected: 1, comparator: '>=' },
      { method: 'config_value', path: '/etc/login.defs', key: 'PASS_WARN_AGE', expected: 7, comparator: '>=' },
      { method: 'config_value', path: '/etc/no-such.conf', key: 'X', expected: 'y' },
    );
    assert.equal(maxDays.status, 'pass', maxDays.evidence?.actual);
    assert.equal(maxDays.evidence?.actual, 'PASS_MAX_DAYS = 90');
    assert.equal(maxDays.evidence?.command, "cat -- '/etc/login.defs'");
    assert.match(maxDays.evidence?.stdout ?? '', /PASS_MAX_DAYS\t90/);
    assert.equal(minDays.status, 'fail');
    assert.equal(minDays.evidence?.actual, 'PASS_MIN_DAYS = 0');
    assert.equal(unset.status, 'fail', 'a commented-out key is not set');
    assert.equal(unset.evidence?.actual, 'PASS_WARN_AGE is not set');
    assert.equal(missing.status, 'fail');
    assert.match(missing.evidence?.actual ?? '', /does not exist/);
  });

  test('sshd_effective_config reads what sshd -T resolves from the fixture configuration', async () => {
    const [root, x11, ciphers, loginGrace] = await evaluate(
      { method: 'sshd_effective_config', key: 'PermitRootLogin', expected: 'no' },
      { method: 'sshd_effective_config', key: 'X11Forwarding', expected: 'no' },
      { method: 'sshd_effective_config', key: 'Ciphers', expected: '3des-cbc,aes128-cbc', comparator: 'excludes' },
      { method: 'sshd_effective_config', key: 'LoginGraceTime', expected: 60, comparator: '<=' },
    );
    assert.deepEqual(statuses([root, x11, ciphers]), ['pass: permitrootlogin no', 'fail: x11forwarding yes', 'fail: ciphers aes128-cbc,aes256-ctr']);
    assert.equal(root.evidence?.command, 'sshd -T');
    // Not in the file: sshd's own default (120 s) is what counts, and it is over the bound.
    assert.deepEqual(statuses([loginGrace]), ['fail: logingracetime 120']);
  });

  test('sysctl_value reads the running kernel (of the host network namespace)', async () => {
    const [forward, redirects, unknown] = await evaluate(
      { method: 'sysctl_value', key: 'net.ipv4.ip_forward', expected: 0 },
      { method: 'sysctl_value', key: 'net.ipv4.conf.all.send_redirects', expected: 0 },
      { method: 'sysctl_value', key: 'net.ipv4.no_such_parameter', expected: 0 },
    );
    assert.deepEqual(statuses([forward, redirects]), ['fail: net.ipv4.ip_forward = 1', 'pass: net.ipv4.conf.all.send_redirects = 0']);
    assert.equal(unknown.status, 'fail');
    assert.match(unknown.evidence?.actual ?? '', /does not exist/);
  });

  test('package_installed and package_absent ask dpkg', async () => {
    const [sshInstalled, telnetdAbsent, missingInstalled, sshAbsent] = await evaluate(
      { method: 'package_installed', name: 'openssh-server' },
      { method: 'package_absent', name: 'telnetd' },
      { method: 'package_installed', name: 'rampart-no-such-package' },
      { method: 'package_absent', name: 'openssh-server' },
    );
    assert.deepEqual(statuses([sshInstalled, telnetdAbsent, missingInstalled, sshAbsent]), [
      'pass: openssh-server installed',
      'pass: telnetd not installed',
      'fail: rampart-no-such-package not installed',
      'fail: openssh-server installed',
    ]);
    assert.match(sshInstalled.evidence?.command ?? '', /^dpkg-query -W/);
  });

  test('file_permissions checks owner, group and a maximum mode, for a file or a pattern', async () => {
    const [passwd, secret, keys, missing, missingOk] = await evaluate(
      { method: 'file_permissions', path: '/etc/passwd', owner: 'root', group: 'root', mode: '0644' },
      { method: 'file_permissions', path: '/etc/rampart-secret', owner: 'root', mode: '0600' },
      { method: 'file_permissions', path: '/etc/ssh/ssh_host_*_key', owner: 'root', mode: '0600' },
      { method: 'file_permissions', path: '/etc/rampart-missing', mode: '0600' },
      { method: 'file_permissions', path: '/etc/rampart-missing', mode: '0600', missing_ok: true },
    );
    assert.equal(passwd.status, 'pass', passwd.evidence?.actual);
    assert.equal(secret.status, 'fail');
    assert.equal(secret.evidence?.actual, '/etc/rampart-secret: mode 0644');
    assert.equal(keys.status, 'pass', keys.evidence?.actual);
    assert.match(keys.evidence?.actual ?? '', /ssh_host_ed25519_key 0600 root:root/);
    assert.equal(missing.status, 'fail');
    assert.equal(missingOk.status, 'pass');
  });

  test('mount_option reads the live mount table', async () => {
    const [options, noexec, notMounted] = await evaluate(
      { method: 'mount_option', mount_point: '/mnt', options: ['nodev', 'nosuid'] },
      { method: 'mount_option', mount_point: '/mnt', options: ['nodev', 'noexec'] },
      { method: 'mount_option', mount_point: '/srv', options: ['nodev'] },
    );
    assert.equal(options.status, 'pass', options.evidence?.actual);
    assert.equal(noexec.status, 'fail');
    assert.match(noexec.evidence?.actual ?? '', /missing noexec/);
    assert.equal(notMounted.status, 'fail');
    assert.equal(notMounted.evidence?.actual, '/srv is not a separate mount');
  });

  test('kernel_module_state needs an install line and the module not loaded', async () => {
    const [cramfs, cramfsBlacklisted, squashfs] = await evaluate(
      { method: 'kernel_module_state', name: 'cramfs' },
      { method: 'kernel_module_state', name: 'cramfs', blacklisted: true },
      { method: 'kernel_module_state', name: 'squashfs' },
    );
    assert.equal(cramfs.status, 'pass', cramfs.evidence?.actual);
    assert.equal(cramfsBlacklisted.status, 'pass');
    assert.equal(squashfs.status, 'fail');
    assert.match(squashfs.evidence?.actual ?? '', /not disabled/);
  });

  test('audit_rule_exists matches rules however their options are spelled', async () => {
    const [passwd, chmod, shadow, loaded] = await evaluate(
      { method: 'audit_rule_exists', rule: '-w /etc/passwd -k identity -p aw' },
      { method: 'audit_rule_exists', rule: '-a always,exit -F arch=b64 -S fchmod -S chmod -F auid>=1000 -k perm_mod' },
      { method: 'audit_rule_exists', rule: '-w /etc/shadow -p wa -k identity' },
      { method: 'audit_rule_exists', rule: '-w /etc/passwd -p wa -k identity', source: 'loaded' },
    );
    assert.deepEqual([passwd.status, chmod.status, shadow.status], ['pass', 'pass', 'fail']);
    // No auditd here: reading the loaded rules is impossible, and the result says why rather than failing.
    assert.equal(loaded.status, 'error');
    assert.match(loaded.error_reason ?? '', /auditd is not installed/);
  });

  test('grub_parameter reads the grub defaults or the running command line', async () => {
    const [audit, backlog, running] = await evaluate(
      { method: 'grub_parameter', key: 'audit', expected: 1 },
      { method: 'grub_parameter', key: 'audit_backlog_limit' },
      { method: 'grub_parameter', key: 'rampart_no_such_param', source: 'running', present: false },
    );
    assert.deepEqual(statuses([audit, backlog]), ['pass: found audit=1', 'fail: audit_backlog_limit not set']);
    assert.equal(running.status, 'pass');
    assert.equal(running.evidence?.command, 'cat /proc/cmdline');
  });

  test('selinux_state reads the configured mode; without getenforce the running mode errors clearly', async () => {
    const [enforcing, notDisabled, running] = await evaluate(
      { method: 'selinux_state', state: 'enforcing', source: 'config' },
      { method: 'selinux_state', state: 'enforcing|permissive', source: 'config' },
      { method: 'selinux_state', state: 'enforcing' },
    );
    assert.deepEqual(statuses([enforcing, notDisabled]), ['fail: SELinux permissive', 'pass: SELinux permissive']);
    assert.equal(running.status, 'error');
    assert.match(running.error_reason ?? '', /command not found/);
  });

  test('service_state errors naming the reason when systemd is not running', async () => {
    const [ssh] = await evaluate({ method: 'service_state', name: 'ssh', enabled: true, active: true });
    assert.equal(ssh.status, 'error');
    assert.match(ssh.error_reason ?? '', /systemd is not running/);
  });

  test('set_compare and command judge what a command prints', async () => {
    const [uid0, uid0Empty, exists, stdout, pattern] = await evaluate(
      { method: 'set_compare', run: "awk -F: '$3 == 0 {print $1}' /etc/passwd", expected: ['root'] },
      { method: 'set_compare', run: "awk -F: '$3 == 0 {print $1}' /etc/passwd", expected: [] },
      { method: 'command', run: 'test -f /etc/login.defs' },
      { method: 'command', run: 'echo hello', expected_stdout: 'goodbye' },
      { method: 'command', run: 'echo hello world', stdout_pattern: '^hello w' },
    );
    assert.deepEqual(statuses([uid0, uid0Empty]), ['pass: [root]', 'fail: [root]']);
    assert.deepEqual([exists.status, stdout.status, pattern.status], ['pass', 'fail', 'pass']);
  });
});

describe('service_state on a host where systemd looks present but cannot be reached', () => {
  let host: LocalHost;
  before(async () => {
    // /run/systemd/system makes the host claim systemd; with no systemd behind it, systemctl cannot reach a bus.
    host = await startLocalHost({ setup: ['mkdir -p /run/systemd/system'] });
  });
  after(() => host?.close());

  test('an unreachable systemd is an error, never read as a disabled service', async () => {
    const [disabled] = await evaluateRules(host.session, [ruleOf({ check: { method: 'service_state', name: 'avahi-daemon', enabled: false } })], { facts: DEBIAN_12 });
    assert.equal(disabled.status, 'error', disabled.evidence?.actual);
    assert.match(disabled.error_reason ?? '', /could not query systemd: Failed to connect to bus/);
  });
});
