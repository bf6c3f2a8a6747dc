/**
 * How the fleet talks to a managed host: one SSH connection per host per piece of work (a scan, a probe, a
 * discovery run), over which every command runs as its own channel. Implemented in this folder over ssh2; the
 * compliance engine, discovery, intelligence and remediation only see HostSession.
 */

/** Where to connect. `address` is an IP literal or a resolvable name; `hostKeyName` keys the trusted-host-key store. */
export interface SshTarget {
  hostId: string;
  hostKeyName: string;
  address: string;
  port: number;
}

/** Decrypted credential material, held in memory only for the life of a connection. */
export interface SshSecret {
  username: string;
  authMethod: 'ssh_key' | 'password' | 'both';
  privateKey?: string;
  passphrase?: string;
  password?: string;
}

export interface ConnectOptions {
  /** Connect plus authentication must finish within this (system connectivity config timeout_sec). */
  timeoutMs: number;
  /** Aborts the connection and every command in flight. */
  signal?: AbortSignal;
  /** May `sudo -S` with the stored password when `sudo -n` is refused (default true). */
  allowSudoPassword?: boolean;
}

export interface RunOptions {
  /** Run as root: directly when the login is root, else `sudo -n`, else `sudo -S` with the stored password. */
  sudo?: boolean;
  timeoutMs?: number;
  /** Bytes written to the command's standard input (never the sudo password: the session handles that). */
  stdin?: string;
  /** Output kept per stream; the rest is cut and `truncated` set (default 64 KiB). */
  maxOutputBytes?: number;
}

export interface CommandResult {
  /** The command as asked for, without any sudo wrapper: what evidence shows. */
  command: string;
  stdout: string;
  stderr: string;
  /** The remote exit code; null when the command was killed by a signal or timed out. */
  exitCode: number | null;
  truncated: boolean;
  timedOut: boolean;
  durationMs: number;
}

/** How the session reaches root: what the liveness privilege layer reports. */
export type Privilege = 'root' | 'sudo_nopasswd' | 'sudo_password' | 'none';

export interface HostSession {
  readonly target: SshTarget;
  /** Probed once at connect (`id -u`, `sudo -n true`, `sudo -S true`). */
  readonly privilege: Privilege;
  /** The host key's SHA256 fingerprint as `ssh-keygen -l` prints it. */
  readonly hostKeyFingerprint: string;
  /** Runs one command in its own channel over the one connection. Never throws for a non-zero exit. */
  run(command: string, options?: RunOptions): Promise<CommandResult>;
  close(): Promise<void>;
}

/** Why a connection failed, as liveness and error codes name it. */
export type SshFailureKind = 'unreachable' | 'timeout' | 'auth_failed' | 'host_key_mismatch' | 'protocol';

export class SshConnectError extends Error {
  constructor(
    readonly kind: SshFailureKind,
    message: string,
  ) {
    super(message);
    this.name = 'SshConnectError';
  }
}

export interface HostConnector {
  /** Opens a session; throws SshConnectError. A changed host key fails closed with kind host_key_mismatch. */
  open(target: SshTarget, secret: SshSecret, options: ConnectOptions): Promise<HostSession>;
  /** Connections opened so far, per host id: what the scan benchmark reports (target: one per host per scan). */
  connectionsOpened(hostId: string): number;
}
