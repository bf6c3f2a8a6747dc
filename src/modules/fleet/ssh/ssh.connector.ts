import { connect as tcpConnect } from 'node:net';
import type { Duplex } from 'node:stream';
import type { AnyAuthMethod, ParsedKey } from 'ssh2';
import { lazyRequire } from '../../../core/lazy-require.js';
import type { AuditService } from '../../../core/audit/audit.service.js';
import { describeHostKey, type HostKeyStore } from './host-keys.store.js';
import { toConnectError } from './ssh.errors.js';
import { createSession } from './ssh.session.js';
import {
  SshConnectError,
  type ConnectOptions,
  type HostConnector,
  type HostSession,
  type SshSecret,
  type SshTarget,
} from './ssh.types.js';

// ssh2 is CommonJS, loaded on the first connection or key (lazy-require.ts).
const ssh2 = lazyRequire<typeof import('ssh2')>('ssh2');

/** Opens the byte stream SSH runs over. Rejects with the socket error (its `code` names why). */
export type Dial = (address: string, port: number) => Promise<Duplex>;

export const tcpDial: Dial = (address, port) =>
  new Promise((resolve, reject) => {
    const socket = tcpConnect({ host: address, port });
    socket.once('connect', () => {
      socket.removeListener('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });

export interface ConnectorDeps {
  hostKeys: HostKeyStore;
  audit: AuditService;
  /** How to reach a host: TCP by default; tests reach namespace hosts through their own dialer. */
  dial?: Dial;
}

const SYSTEM_ACTOR = { type: 'system' as const, id: null, name: 'the system' };

function parsePrivateKey(secret: SshSecret): ParsedKey | undefined {
  if (!secret.privateKey) return undefined;
  const parsed = ssh2().utils.parseKey(secret.privateKey, secret.passphrase);
  if (parsed instanceof Error) throw new SshConnectError('auth_failed', `the stored private key cannot be used: ${parsed.message}`);
  return Array.isArray(parsed) ? parsed[0] : parsed;
}

type AuthAttempt = AnyAuthMethod;
/** ssh2 ends authentication when the handler passes `false` (its typings omit that value). */
const NO_MORE_METHODS = false as unknown as AnyAuthMethod;

/** Key first, then password, then keyboard-interactive answered with the password (PAM hosts ask that way). */
function authAttempts(secret: SshSecret, key: ParsedKey | undefined): AuthAttempt[] {
  const username = secret.username;
  const attempts: AuthAttempt[] = [];
  if (key && secret.authMethod !== 'password') attempts.push({ type: 'publickey', username, key });
  if (secret.password !== undefined && secret.authMethod !== 'ssh_key') {
    const password = secret.password;
    attempts.push({ type: 'password', username, password });
    attempts.push({
      type: 'keyboard-interactive',
      username,
      prompt: (_name, _instructions, _lang, prompts, finish) => finish(prompts.map(() => password)),
    });
  }
  return attempts;
}

export function createSshConnector(deps: ConnectorDeps): HostConnector {
  const dial = deps.dial ?? tcpDial;
  const opened = new Map<string, number>();

  async function verifyHostKey(target: SshTarget, wire: Buffer): Promise<{ ok: boolean; fingerprint: string }> {
    const presented = describeHostKey(wire);
    const verdict = await deps.hostKeys.check(target.hostKeyName, presented);
    if (verdict === 'trusted_now' || verdict === 'mismatch') {
      await deps.audit.record({
        actor: SYSTEM_ACTOR,
        action: verdict === 'trusted_now' ? 'fleet.ssh_host_key.trusted' : 'fleet.ssh_host_key.mismatch',
        resource: { type: 'fleet_host', id: target.hostId },
        result: verdict === 'trusted_now' ? 'success' : 'failure',
        details: { host_key_name: target.hostKeyName, key_type: presented.keyType, fingerprint: presented.fingerprint },
      });
    }
    return { ok: verdict !== 'mismatch', fingerprint: presented.fingerprint };
  }

  async function open(target: SshTarget, secret: SshSecret, options: ConnectOptions): Promise<HostSession> {
    opened.set(target.hostId, (opened.get(target.hostId) ?? 0) + 1);
    const key = parsePrivateKey(secret);
    const attempts = authAttempts(secret, key);
    if (attempts.length === 0) throw new SshConnectError('auth_failed', 'the credential holds neither a private key nor a password');
    if (options.signal?.aborted) throw new SshConnectError('timeout', 'aborted before connecting');

    const client = new (ssh2().Client)();
    let fingerprint = '';
    let hostKeyRejected = false;
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    const end = async () => {
      client.end();
      await closed;
    };

    const ready = new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(() => fail(new SshConnectError('timeout', `no SSH session within ${options.timeoutMs} ms`)), options.timeoutMs);
      const onAbort = () => fail(new SshConnectError('timeout', 'aborted while connecting'));
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const settle = () => {
        clearTimeout(deadline);
        options.signal?.removeEventListener('abort', onAbort);
      };
      function fail(err: unknown) {
        settle();
        client.destroy();
        reject(hostKeyRejected ? hostKeyMismatch(target) : toConnectError(err, `ssh ${target.address}:${target.port}`));
      }
      client.once('ready', () => {
        settle();
        resolve();
      });
      client.on('error', fail);
      dial(target.address, target.port).then(
        (sock) =>
          client.connect({
            sock,
            username: secret.username,
            readyTimeout: 0, // our own deadline above covers dialing, handshake and authentication together
            hostVerifier: (wire: Buffer, verify: (ok: boolean) => void) => {
              verifyHostKey(target, wire).then(
                (verdict) => {
                  fingerprint = verdict.fingerprint;
                  hostKeyRejected = !verdict.ok;
                  verify(verdict.ok);
                },
                (err) => fail(err),
              );
            },
            authHandler: (_left, _partial, next) => next(attempts.shift() ?? NO_MORE_METHODS),
          }),
        fail,
      );
    });

    try {
      await ready;
    } catch (err) {
      client.destroy();
      throw err;
    }
    options.signal?.addEventListener('abort', () => client.destroy(), { once: true });
    try {
      return await createSession({ client, target, secret, hostKeyFingerprint: fingerprint, allowSudoPassword: options.allowSudoPassword ?? true, end });
    } catch (err) {
      client.destroy();
      throw toConnectError(err, `ssh ${target.address}:${target.port} privilege probe`);
    }
  }

  return {
    open,
    connectionsOpened: (hostId) => opened.get(hostId) ?? 0,
  };
}

function hostKeyMismatch(target: SshTarget): SshConnectError {
  return new SshConnectError(
    'host_key_mismatch',
    `the host key of ${target.hostKeyName} differs from the trusted one; refusing to connect (forget the trusted key if the host was rebuilt)`,
  );
}
