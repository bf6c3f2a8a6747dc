import { RampartError } from '../../../core/errors.js';
import type { FleetHostRow } from '../hosts/hosts.tables.js';
import { SshConnectError, type HostConnector, type HostSession, type SshSecret, type SshTarget } from '../ssh/ssh.types.js';

/** Where SSH goes for a host; host keys are trusted per hostname (a re-addressed host keeps its trust). */
export function targetOf(host: FleetHostRow): SshTarget {
  return { hostId: host.id, hostKeyName: host.hostname, address: host.ip_address, port: host.port };
}

export interface SessionDeps {
  connector: () => HostConnector;
  secretFor: (hostId: string) => Promise<SshSecret | null>;
  /** Connect + authentication bound (system connectivity config timeout_sec). */
  connectTimeoutMs: () => Promise<number>;
}

/**
 * Runs fn over one SSH session to the host, closed afterwards whatever happens. Failing to connect is the host's
 * problem, not the caller's: 502 host.unreachable (host.ssh_host_key_mismatch for a changed key), 409 when no
 * credential resolves.
 */
export async function withHostSession<T>(deps: SessionDeps, host: FleetHostRow, fn: (session: HostSession) => Promise<T>, signal?: AbortSignal): Promise<T> {
  const secret = await deps.secretFor(host.id);
  if (!secret) {
    throw new RampartError({ code: 'credentials.not_resolved', status: 409, message: `no credential resolves for host ${host.id}: add a host or default system credential` });
  }
  let session: HostSession;
  try {
    session = await deps.connector().open(targetOf(host), secret, { timeoutMs: await deps.connectTimeoutMs(), signal });
  } catch (err) {
    throw connectFailure(host, err);
  }
  try {
    return await fn(session);
  } finally {
    await session.close().catch(() => {});
  }
}

function connectFailure(host: FleetHostRow, err: unknown): RampartError {
  const kind = err instanceof SshConnectError ? err.kind : 'protocol';
  const message = err instanceof Error ? err.message : String(err);
  if (kind === 'host_key_mismatch') {
    return new RampartError({ code: 'host.ssh_host_key_mismatch', status: 502, fault: 'external', message, details: { host_id: host.id, kind } });
  }
  return new RampartError({
    code: 'host.unreachable',
    status: 502,
    fault: 'external',
    retryable: kind === 'unreachable' || kind === 'timeout',
    message: `cannot reach host ${host.hostname} over SSH (${kind}): ${message}`,
    details: { host_id: host.id, kind },
    cause: err,
  });
}
