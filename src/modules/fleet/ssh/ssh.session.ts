import type { Client } from 'ssh2';
import { createLimiter } from './limiter.js';
import { DEFAULT_COMMAND_TIMEOUT_MS, DEFAULT_MAX_OUTPUT, execOnce } from './ssh.run.js';
import type { CommandResult, HostSession, Privilege, RunOptions, SshSecret, SshTarget } from './ssh.types.js';

/** sshd's MaxSessions defaults to 10 channels per connection; stay under it. */
const CHANNELS_PER_CONNECTION = 6;
const PROBE_TIMEOUT_MS = 15_000;

export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

interface Wrapped {
  wire: string;
  /** Written before the caller's stdin: the sudo password, when sudo reads one. */
  prefix: string;
}

/**
 * How a command runs as root for a given privilege. `sudo -k` makes sudo always read the password, so a cached
 * sudo timestamp can never leave the password line in the command's own stdin.
 */
function wrapForRoot(command: string, privilege: Privilege, password: string | undefined): Wrapped {
  const inShell = `sh -c ${shellQuote(command)}`;
  if (privilege === 'root') return { wire: command, prefix: '' };
  if (privilege === 'sudo_password' && password !== undefined) return { wire: `sudo -k -S -p '' -- ${inShell}`, prefix: `${password}\n` };
  // sudo_nopasswd, and `none` too: the refusal then shows in the evidence instead of the command silently not running as root.
  return { wire: `sudo -n -- ${inShell}`, prefix: '' };
}

export interface SessionParts {
  client: Client;
  target: SshTarget;
  secret: SshSecret;
  hostKeyFingerprint: string;
  allowSudoPassword: boolean;
  /** Ends the connection; resolves once it closed. */
  end(): Promise<void>;
}

export async function createSession(parts: SessionParts): Promise<HostSession> {
  const channels = createLimiter(CHANNELS_PER_CONNECTION);
  const password = parts.secret.password;

  const exec = (wire: string, shown: string, stdin: string, options: RunOptions) =>
    channels.run(() =>
      execOnce(parts.client, {
        wire,
        shown,
        stdin,
        timeoutMs: options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
        maxOutputBytes: options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT,
      }),
    );

  const privilege = await probePrivilege((wire, stdin) => exec(wire, wire, stdin, { timeoutMs: PROBE_TIMEOUT_MS }), {
    mayUsePassword: parts.allowSudoPassword && password !== undefined,
    password,
  });

  return {
    target: parts.target,
    privilege,
    hostKeyFingerprint: parts.hostKeyFingerprint,
    run(command: string, options: RunOptions = {}): Promise<CommandResult> {
      const stdin = options.stdin ?? '';
      if (!options.sudo) return exec(command, command, stdin, options);
      const wrapped = wrapForRoot(command, privilege, password);
      return exec(wrapped.wire, command, wrapped.prefix + stdin, options);
    },
    close: parts.end,
  };
}

type ProbeExec = (wire: string, stdin: string) => Promise<CommandResult>;

/** `id -u` = 0 is root; else `sudo -n true`; else, when allowed, `sudo -S` with the stored password. */
async function probePrivilege(exec: ProbeExec, opts: { mayUsePassword: boolean; password?: string }): Promise<Privilege> {
  const uid = await exec('id -u', '');
  if (uid.exitCode === 0 && uid.stdout.trim() === '0') return 'root';
  if ((await exec('sudo -n true', '')).exitCode === 0) return 'sudo_nopasswd';
  if (opts.mayUsePassword && (await exec(`sudo -k -S -p '' true`, `${opts.password}\n`)).exitCode === 0) return 'sudo_password';
  return 'none';
}
