import type { Client, ClientChannel } from 'ssh2';
import type { CommandResult } from './ssh.types.js';

export const DEFAULT_MAX_OUTPUT = 64 * 1024;
export const DEFAULT_COMMAND_TIMEOUT_MS = 60_000;

export interface ExecRequest {
  /** What goes on the wire (possibly wrapped in sudo). */
  wire: string;
  /** What evidence shows. */
  shown: string;
  stdin: string;
  timeoutMs: number;
  maxOutputBytes: number;
}

const CLOSE_GRACE_MS = 5_000;

/**
 * Sends SIGKILL to the remote command (sshd signals its process group). ssh2's channel.signal() is a no-op once
 * the channel's stdin was ended, which every command's is, so the request goes through the protocol directly;
 * RFC 4254 allows channel requests after EOF.
 */
function killRemote(channel: ClientChannel): void {
  const internal = channel as unknown as { _client?: { _protocol?: { signal(id: number, name: string): void } }; outgoing?: { id: number; state: string } };
  try {
    const state = internal.outgoing?.state;
    if (state === 'open' || state === 'eof') internal._client?._protocol?.signal(internal.outgoing!.id, 'KILL');
  } catch {
    // the connection is going away anyway
  }
}

/** Keeps the first `max` bytes of a stream and remembers whether more came. */
function boundedBuffer(max: number) {
  const chunks: Buffer[] = [];
  let kept = 0;
  let cut = false;
  return {
    push(chunk: Buffer) {
      const room = max - kept;
      if (chunk.length > room) cut = true;
      if (room <= 0) return;
      const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
      chunks.push(part);
      kept += part.length;
    },
    text: () => Buffer.concat(chunks).toString('utf8'),
    get cut() {
      return cut;
    },
  };
}

const OPEN_ATTEMPTS = 4;

interface OpenChannel {
  channel: ClientChannel;
  /** The exit status, once it arrived (null when a signal ended the command). */
  exit: { code?: number | null };
}

/**
 * The exit status can arrive in the same packet batch as the channel's confirmation, before an awaiting caller
 * resumes: its listener is attached in the callback itself, or the status would be lost. (Output is buffered by
 * the stream until read, so it needs no such care.)
 */
function openExecOnce(client: Client, command: string): Promise<OpenChannel> {
  return new Promise((resolve, reject) =>
    client.exec(command, (err, channel) => {
      if (err) return reject(err);
      const exit: OpenChannel['exit'] = {};
      channel.once('exit', (code: number | null) => (exit.code = typeof code === 'number' ? code : null));
      resolve({ channel, exit });
    }),
  );
}

/**
 * sshd refuses a channel while it still tears down earlier ones past its MaxSessions; nothing ran then, so a
 * refused open is tried again after a short pause.
 */
async function openExec(client: Client, command: string): Promise<OpenChannel> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await openExecOnce(client, command);
    } catch (err) {
      const refused = (err as { reason?: unknown }).reason !== undefined;
      if (!refused || attempt >= OPEN_ATTEMPTS) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}

/** Runs one command in its own exec channel; a timeout kills the remote process and closes the channel. */
export async function execOnce(client: Client, req: ExecRequest): Promise<CommandResult> {
  const started = Date.now();
  const { channel, exit } = await openExec(client, req.wire);
  const stdout = boundedBuffer(req.maxOutputBytes);
  const stderr = boundedBuffer(req.maxOutputBytes);
  let timedOut = false;

  channel.on('data', (chunk: Buffer) => stdout.push(chunk));
  channel.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));

  let giveUp: NodeJS.Timeout | undefined;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      timedOut = true;
      killRemote(channel);
      channel.close();
      // sshd keeps a channel open until its process exits: do not wait on a process that ignores the kill.
      giveUp = setTimeout(resolve, CLOSE_GRACE_MS);
    }, req.timeoutMs);
    channel.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    if (req.stdin) channel.write(req.stdin);
    channel.end();
  });
  clearTimeout(giveUp);

  return {
    command: req.shown,
    stdout: stdout.text(),
    stderr: stderr.text(),
    exitCode: timedOut ? null : (exit.code ?? null),
    truncated: stdout.cut || stderr.cut,
    timedOut,
    durationMs: Date.now() - started,
  };
}
