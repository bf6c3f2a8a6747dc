import { spawn } from 'node:child_process';
import type { FleetHostRow } from '../hosts/hosts.tables.js';
import { SshConnectError, type HostConnector, type Privilege, type SshSecret } from '../ssh/ssh.types.js';
import type { ProbeOutcome } from './transition.js';

export interface ProbeReport extends ProbeOutcome {
  /** How the session reaches root, when SSH worked. */
  privilegeKind: Privilege | null;
  /** Why the first failing layer failed. */
  error: string | null;
  /** The failure as a code: icmp_unreachable, no_connector, no_credential, privilege_denied, or the SSH failure kind. */
  errorType: string | null;
  responseMs: number;
}

export type HostProber = (host: FleetHostRow, timeoutSec: number) => Promise<ProbeReport>;

/** One ICMP echo with `ping -c1 -W`, as a child process (no raw sockets in Node). */
export function ping(address: string, timeoutSec: number): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('ping', ['-n', '-c', '1', '-W', String(timeoutSec), address], { stdio: 'ignore' });
    const killer = setTimeout(() => child.kill('SIGKILL'), (timeoutSec + 5) * 1000);
    child.once('error', () => {
      clearTimeout(killer);
      resolve(false);
    });
    child.once('exit', (code) => {
      clearTimeout(killer);
      resolve(code === 0);
    });
  });
}

/**
 * The three layers against a real host: ICMP, then an SSH session with the host's resolved credential (its
 * privilege is probed when it opens: root, sudo -n, sudo -S), closed at once.
 */
export function createHostProber(deps: {
  connector: () => HostConnector | null;
  secretFor: (hostId: string) => Promise<SshSecret | null>;
  ping?: typeof ping;
}): HostProber {
  const icmp = deps.ping ?? ping;
  return async (host, timeoutSec) => {
    const started = Date.now();
    const done = (r: Omit<ProbeReport, 'responseMs'>): ProbeReport => ({ ...r, responseMs: Date.now() - started });
    if (!(await icmp(host.ip_address, timeoutSec))) {
      return done({ icmp: false, ssh: null, privilege: null, privilegeKind: null, error: 'no ICMP echo reply', errorType: 'icmp_unreachable' });
    }
    const connector = deps.connector();
    if (!connector) return done({ icmp: true, ssh: false, privilege: null, privilegeKind: null, error: 'no SSH connector is configured', errorType: 'no_connector' });
    const secret = await deps.secretFor(host.id);
    if (!secret) return done({ icmp: true, ssh: false, privilege: null, privilegeKind: null, error: 'no credential resolves for this host', errorType: 'no_credential' });
    try {
      const target = { hostId: host.id, hostKeyName: host.hostname, address: host.ip_address, port: host.port };
      const session = await connector.open(target, secret, { timeoutMs: timeoutSec * 1000 });
      const privilegeKind = session.privilege;
      await session.close().catch(() => {});
      const privileged = privilegeKind !== 'none';
      return done({
        icmp: true,
        ssh: true,
        privilege: privileged,
        privilegeKind,
        error: privileged ? null : 'neither root nor sudo',
        errorType: privileged ? null : 'privilege_denied',
      });
    } catch (err) {
      const kind = err instanceof SshConnectError ? err.kind : 'protocol';
      return done({ icmp: true, ssh: false, privilege: null, privilegeKind: null, error: `ssh ${kind}: ${(err as Error).message}`, errorType: kind });
    }
  };
}
