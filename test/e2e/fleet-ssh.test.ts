/**
 * The fleet's SSH transport against real hosts: Debian's sshd in network and mount namespaces (test/helpers/ssh-lab.ts),
 * trusted host keys in the real database (SQLite, or PostgreSQL under RAMPART_TEST_DATABASE_URL).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { skipUnlessSshLab, startSshLab, type SshLab } from '../helpers/ssh-lab.js';
import { fleetServices } from '../../src/modules/fleet/fleet.services.js';
import { createSshConnector } from '../../src/modules/fleet/ssh/ssh.connector.js';
import { SshConnectError, type HostConnector, type HostSession } from '../../src/modules/fleet/ssh/ssh.types.js';
import { systemPrincipal } from '../../src/core/principal.js';
import { waitFor } from '../helpers/wait.js';

const CONNECT_TIMEOUT_MS = 30_000;

describe('fleet SSH transport on namespace hosts', { skip: skipUnlessSshLab() }, () => {
  let lab: SshLab;
  let app: TestRampart;
  let connector: HostConnector;
  const ids = { alpha: randomUUID(), beta: randomUUID(), gamma: randomUUID() };
  /** Logged-in SSH sessions of the lab user on a host, as sshd titles them (`sshd: fleetkey@notty`). */
  const userSessions = (name: string) => Number(lab.exec(name, "ps -eo args | grep -c '^sshd: [a-z]*@' || true").stdout.trim());
  const open = (name: 'alpha' | 'beta' | 'gamma', timeoutMs = CONNECT_TIMEOUT_MS) =>
    connector.open(lab.target(name, ids[name]), lab.secret(name), { timeoutMs });

  before(async () => {
    lab = await startSshLab({
      hosts: [
        { name: 'alpha', login: 'key' },
        { name: 'beta', login: 'password' },
        { name: 'gamma', login: 'unreachable' },
      ],
    });
    app = await createTestRampart();
    const services = fleetServices(app.core);
    connector = createSshConnector({ hostKeys: services.hostKeys, audit: app.core.audit, dial: lab.dial });
  });

  after(async () => {
    await lab?.close();
    await app?.cleanup();
    assert.deepEqual(lab ? lab.remainingNamespaces() : [], []);
  });

  test('key login with passwordless sudo: sudo -n runs commands as root, evidence shows the bare command', async () => {
    const session = await open('alpha');
    try {
      assert.equal(session.privilege, 'sudo_nopasswd');
      assert.match(session.hostKeyFingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
      const plain = await session.run('id -un');
      assert.equal(plain.stdout.trim(), 'fleetkey');
      const root = await session.run('id -u && cat /etc/shadow | grep -c fleetkey', { sudo: true });
      assert.equal(root.exitCode, 0, root.stderr);
      assert.deepEqual(root.stdout.trim().split('\n'), ['0', '1']);
      assert.equal(root.command, 'id -u && cat /etc/shadow | grep -c fleetkey');
      const failing = await session.run('exit 3');
      assert.equal(failing.exitCode, 3);
    } finally {
      await session.close();
    }
  });

  test('password login where sudo asks for the password: sudo -S, with the password never on a command line', async () => {
    const session = await open('beta');
    try {
      assert.equal(session.privilege, 'sudo_password');
      const root = await session.run('id -u; cat', { sudo: true, stdin: 'user input\n' });
      assert.equal(root.exitCode, 0, root.stderr);
      // The command's own stdin is what the caller gave: the password line went to sudo only.
      assert.equal(root.stdout, '0\nuser input\n');
      assert.ok(!root.command.includes(lab.host('beta').password!));
      // Without the password allowed, the same login has no way to root.
      const limited = await connector.open(lab.target('beta', ids.beta), lab.secret('beta'), { timeoutMs: CONNECT_TIMEOUT_MS, allowSudoPassword: false });
      try {
        assert.equal(limited.privilege, 'none');
        const refused = await limited.run('id -u', { sudo: true });
        assert.notEqual(refused.exitCode, 0);
      } finally {
        await limited.close();
      }
    } finally {
      await session.close();
    }
  });

  test('many commands, several at once, share ONE connection', async () => {
    const hostId = randomUUID();
    const before = connector.connectionsOpened(hostId);
    await waitFor('earlier sessions on alpha to end', () => userSessions('alpha') === 0, 30_000, 100);
    const session = await connector.open(lab.target('alpha', hostId), lab.secret('alpha'), { timeoutMs: CONNECT_TIMEOUT_MS });
    try {
      const results = await Promise.all(Array.from({ length: 60 }, (_, i) => session.run(`echo ${i}`, { sudo: i % 2 === 0 })));
      // Every exit status arrives, also for commands that finish before their channel's confirmation is handled.
      results.forEach((r, i) => {
        assert.equal(r.stdout.trim(), String(i));
        assert.equal(r.exitCode, 0, `command ${i}`);
      });
      // sshd sees one connection: one session process for this login.
      assert.equal(userSessions('alpha'), 1);
    } finally {
      await session.close();
    }
    assert.equal(connector.connectionsOpened(hostId) - before, 1);
  });

  test('output beyond the cap is cut and marked truncated', async () => {
    const session = await open('alpha');
    try {
      const big = await session.run('head -c 200000 /dev/zero | tr "\\0" x', { maxOutputBytes: 1000 });
      assert.equal(big.stdout.length, 1000);
      assert.equal(big.truncated, true);
      const small = await session.run('echo small');
      assert.equal(small.truncated, false);
    } finally {
      await session.close();
    }
  });

  test('a command past its timeout is killed on the host and reported timed out', async () => {
    const session = await open('alpha');
    try {
      const marker = `rfs-sleep-${process.pid}`;
      const slow = await session.run(`exec -a ${marker} sleep 300`, { timeoutMs: 1500 });
      assert.equal(slow.timedOut, true);
      assert.equal(slow.exitCode, null);
      // The connection stays usable, and the remote sleep is gone (ps, not pgrep -f: that would find its own shell).
      const count = async () => Number((await session.run(`ps -eo args | grep -c '^${marker}' || true`)).stdout.trim());
      await waitFor('the timed-out command to be killed on the host', async () => (await count()) === 0, 30_000, 200);
    } finally {
      await session.close();
    }
  });

  test('a changed host key fails closed and no command runs; forgetting the key lets it connect again', async () => {
    const hostId = randomUUID();
    const target = { ...lab.target('alpha', hostId), hostKeyName: `rotated-${hostId}` };
    const first = await connector.open(target, lab.secret('alpha'), { timeoutMs: CONNECT_TIMEOUT_MS });
    const trusted = first.hostKeyFingerprint;
    await first.close();
    // sshd ends a closed session's process a moment after the client has gone (this one's, and earlier tests').
    await waitFor('earlier sessions on alpha to end', () => userSessions('alpha') === 0, 30_000, 100);

    await lab.rotateHostKey('alpha');
    const refused = await connector.open(target, lab.secret('alpha'), { timeoutMs: CONNECT_TIMEOUT_MS }).then(
      () => assert.fail('connected despite a changed host key'),
      (err: unknown) => err,
    );
    assert.ok(refused instanceof SshConnectError);
    assert.equal(refused.kind, 'host_key_mismatch');
    // No session ever started: no command (not even the privilege probe) ran as the user.
    assert.equal(userSessions('alpha'), 0);
    const stored = await fleetServices(app.core).hostKeys.get(target.hostKeyName);
    assert.equal(stored?.fingerprint, trusted);

    assert.equal(await fleetServices(app.core).forgetHostKey({ hostKeyName: target.hostKeyName, hostId, actor: systemPrincipal }), true);
    const again = await connector.open(target, lab.secret('alpha'), { timeoutMs: CONNECT_TIMEOUT_MS });
    try {
      assert.notEqual(again.hostKeyFingerprint, trusted);
      assert.equal((await again.run('echo ok')).stdout.trim(), 'ok');
    } finally {
      await again.close();
    }
    const audit = await app.core.audit.list({ resourceId: hostId }, { limit: 10 });
    assert.deepEqual(
      audit.items.map((e) => e.action).sort(),
      ['fleet.ssh_host_key.forgotten', 'fleet.ssh_host_key.mismatch', 'fleet.ssh_host_key.trusted', 'fleet.ssh_host_key.trusted'],
    );
  });

  test('a host with nothing listening fails with kind unreachable, within the timeout', async () => {
    const started = Date.now();
    const err = await open('gamma', 10_000).then(
      () => assert.fail('connected to a host without sshd'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof SshConnectError);
    assert.ok(['unreachable', 'timeout'].includes(err.kind), err.kind);
    assert.ok(Date.now() - started < 10_000 + 5_000);
  });

  test('an address nobody answers fails within the timeout', async () => {
    const target = { hostId: randomUUID(), hostKeyName: '10.213.1.250', address: '10.213.1.250', port: 22 };
    const err = await connector.open(target, lab.secret('alpha'), { timeoutMs: 8_000 }).then(
      () => assert.fail('connected to nothing'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof SshConnectError);
    assert.ok(['unreachable', 'timeout'].includes(err.kind), err.kind);
  });

  test('a wrong password fails with kind auth_failed', async () => {
    const secret = { ...lab.secret('beta'), password: 'not-the-password' };
    const err = await connector.open(lab.target('beta', ids.beta), secret, { timeoutMs: CONNECT_TIMEOUT_MS }).then(
      () => assert.fail('logged in with a wrong password'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof SshConnectError);
    assert.equal(err.kind, 'auth_failed');
  });

  test('a stopped sshd refuses, a started one serves again', async () => {
    await lab.stopSshd('beta');
    const err = await open('beta', 10_000).then(
      () => assert.fail('connected to a stopped sshd'),
      (e: unknown) => e as SshConnectError,
    );
    assert.equal(err.kind, 'unreachable');
    await lab.startSshd('beta');
    const session: HostSession = await open('beta');
    await session.close();
  });
});
