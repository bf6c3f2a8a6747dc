/**
 * Discovery parsing and the snapshot diff, on the outputs real hosts print: the platform identifiers rules key on,
 * and which changes become which events (and which never do: an unreadable category is not "everything removed").
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { osFamily, parseDfRoot, parseFirewall, parseOsRelease, parseUname, platformIdentifier } from '../../src/modules/fleet/intelligence/discovery.parse.js';
import { diffSnapshots } from '../../src/modules/fleet/intelligence/snapshot-diff.js';
import type { Snapshot } from '../../src/modules/fleet/intelligence/collectors.js';

const platformOf = (osRelease: string) => {
  const os = parseOsRelease(osRelease);
  return platformIdentifier(osFamily(os), os.VERSION_ID ?? null);
};

describe('discovery parsing', () => {
  test('platform identifiers: Debian, Ubuntu with its minor, RHEL, and EL rebuilds graded as RHEL', () => {
    assert.equal(platformOf('ID=debian\nVERSION_ID="12"\n'), 'debian12');
    assert.equal(platformOf('ID=ubuntu\nVERSION_ID="22.04"\n'), 'ubuntu2204');
    assert.equal(platformOf('ID=ubuntu\nVERSION_ID="24.04"\n'), 'ubuntu2404');
    assert.equal(platformOf('ID="rhel"\nVERSION_ID="9.4"\n'), 'rhel9');
    assert.equal(platformOf('ID="rocky"\nVERSION_ID="9.3"\nID_LIKE="rhel centos fedora"\n'), 'rhel9');
    assert.equal(platformOf('ID="almalinux"\nVERSION_ID="8.10"\n'), 'rhel8');
    assert.equal(platformOf('NAME=nothing\n'), null);
  });

  test('uname, df and the firewall probe', () => {
    assert.deepEqual(parseUname('Linux 6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01) x86_64\n'), {
      kernel_name: 'Linux',
      kernel_release: '6.1.0-18-amd64',
      kernel_version: '#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)',
      architecture: 'x86_64',
    });
    assert.deepEqual(parseDfRoot('Filesystem     1G-blocks  Used Available Use% Mounted on\n/dev/vda1            252G   24G      218G  10% /\n'), { size_gb: 252, used_gb: 24, available_gb: 218 });
    assert.equal(parseFirewall('firewalld=inactive\nufw=active\nnft_rules=12\n').active, 'ufw');
    assert.equal(parseFirewall('firewalld=unknown\nufw=unknown\nnft_rules=3\niptables_rules=0\n').active, 'nftables');
    assert.equal(parseFirewall('').active, 'none');
  });
});

describe('snapshot diff', () => {
  const before: Snapshot = {
    users: { root: { uid: 0, gid: 0, home: '/root', shell: '/bin/bash' }, old: { uid: 1001, gid: 1001, home: '/home/old', shell: '/bin/sh' } },
    shadow: { root: { locked: false, password_expired: false }, old: { locked: false, password_expired: false } },
    groups: { sudo: { gid: 27, members: ['admin'] } },
    listening_ports: ['0.0.0.0:22'],
    packages: { openssl: '3.0.11', telnet: '0.17' },
    file_hashes: { '/etc/sudoers': 'a'.repeat(64) },
    uptime: { seconds: 5000, booted_at: '2026-01-01T00:00:00.000Z' },
  };

  test('each change becomes its event with its severity', () => {
    const after: Snapshot = {
      users: { root: before.users!.root, fresh: { uid: 1002, gid: 1002, home: '/home/fresh', shell: '/bin/bash' } },
      shadow: { root: { locked: true, password_expired: true } },
      groups: { sudo: { gid: 27, members: ['admin', 'fresh'] } },
      listening_ports: ['0.0.0.0:22', '0.0.0.0:2323'],
      packages: { openssl: '3.0.13', nmap: '7.93' },
      file_hashes: { '/etc/sudoers': 'b'.repeat(64) },
      uptime: { seconds: 30, booted_at: '2026-01-02T00:00:00.000Z' },
    };
    const events = diffSnapshots(before, after).map((e) => `${e.event_code}/${e.severity}/${JSON.stringify(e.detail)}`).sort();
    assert.deepEqual(events, [
      'account.password.expired/high/{"user":"root"}',
      'account.user.created/medium/{"user":"fresh","uid":1002}',
      'account.user.deleted/medium/{"user":"old","uid":1001}',
      'account.user.locked/medium/{"user":"root"}',
      'account.user.privileged_group_added/critical/{"user":"fresh","group":"sudo"}',
      'security.port.opened/high/{"listen":"0.0.0.0:2323"}',
      'system.config.file_changed/high/{"path":"/etc/sudoers","from_sha256":"' + 'a'.repeat(64) + '","to_sha256":"' + 'b'.repeat(64) + '"}',
      'system.package.installed/info/{"package":"nmap","version":"7.93"}',
      'system.package.removed/medium/{"package":"telnet","version":"0.17"}',
      'system.package.updated/info/{"package":"openssl","from":"3.0.11","to":"3.0.13"}',
      'system.reboot.completed/info/{"booted_at":"2026-01-02T00:00:00.000Z"}',
    ]);
  });

  test('a category missing from the fresh reading (unreadable) and a first reading produce no events', () => {
    assert.deepEqual(diffSnapshots(before, { users: before.users }), []);
    assert.deepEqual(diffSnapshots({}, before), []);
  });
});
