import { SshConnectError, type SshFailureKind } from './ssh.types.js';

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET']);

/** Names why a connection failed, from a socket error code or the level ssh2 puts on its errors. */
export function failureKind(err: unknown): SshFailureKind {
  const { code, level } = (err ?? {}) as { code?: string; level?: string };
  if (code && UNREACHABLE_CODES.has(code)) return 'unreachable';
  if (code === 'ETIMEDOUT' || level === 'client-timeout') return 'timeout';
  if (level === 'client-authentication') return 'auth_failed';
  return 'protocol';
}

export function toConnectError(err: unknown, where: string): SshConnectError {
  if (err instanceof SshConnectError) return err;
  const kind = failureKind(err);
  const reason = err instanceof Error ? err.message : String(err);
  return new SshConnectError(kind, `${where}: ${reason}`);
}
