import { dirname } from 'node:path/posix';
import type { CommandResult, HostSession } from '../../ssh/ssh.types.js';
import { shellQuote } from '../shell.js';
import { RemediationError } from './step.js';

/** Runs a command as root and throws when it fails: remediation stops at the first failed change. */
export async function runOrThrow(session: HostSession, command: string, what: string, stdin?: string): Promise<CommandResult> {
  const result = await session.run(command, { sudo: true, stdin });
  if (result.exitCode !== 0) {
    throw new RemediationError(`${what} failed (exit ${result.exitCode ?? 'signal'}): ${result.stderr.trim() || 'no output'}`, command, result.stderr);
  }
  return result;
}

export interface FileState {
  exists: boolean;
  content: string;
}

/** A file's content as root, or exists: false. Files cut at the output limit are refused rather than rewritten short. */
export async function readHostFile(session: HostSession, path: string): Promise<FileState> {
  const result = await session.run(`cat -- ${shellQuote(path)}`, { sudo: true, maxOutputBytes: 4 * 1024 * 1024 });
  if (result.exitCode !== 0 && /No such file or directory/.test(result.stderr)) return { exists: false, content: '' };
  if (result.exitCode !== 0) throw new RemediationError(`reading ${path} failed: ${result.stderr.trim()}`, result.command, result.stderr);
  if (result.truncated) throw new RemediationError(`${path} is too large to edit safely`, result.command, '');
  return { exists: true, content: result.stdout };
}

/**
 * Writes a file in place (keeping its owner and mode); a new file is created 0644 root-owned, with its directory
 * (a drop-in directory such as /etc/modprobe.d may not exist yet).
 */
export async function writeHostFile(session: HostSession, path: string, content: string): Promise<void> {
  const dir = shellQuote(dirname(path));
  await runOrThrow(session, `umask 022 && mkdir -p -- ${dir} && cat > ${shellQuote(path)}`, `writing ${path}`, content);
}

export async function removeHostFile(session: HostSession, path: string): Promise<void> {
  await runOrThrow(session, `rm -f -- ${shellQuote(path)}`, `removing ${path}`);
}

/** Puts a file back as a FileState recorded it. */
export async function restoreHostFile(session: HostSession, path: string, prior: FileState): Promise<void> {
  if (prior.exists) await writeHostFile(session, path, prior.content);
  else await removeHostFile(session, path);
}
