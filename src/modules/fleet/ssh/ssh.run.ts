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

function openExec(client: Client, command: string): Promise<ClientChannel> {
  return new Promise((resolve, reject) => client.exec(command, (err, channel) => (err ? reject(err) : resolve(channel))));
}

/** Runs one command in its own exec channel; a timeout kills the remote process and closes the channel. */
export async function execOnce(client: Client, req: ExecRequest): Promise<CommandResult> {
  const started = Date.now();
  const channel = await openExec(client, req.wire);
  const stdout = boundedBuffer(req.maxOutputBytes);
  const stderr = boundedBuffer(req.maxOutputBytes);
  let exitCode: number | null = null;
  let timedOut = false;

  channel.on('data', (chunk: Buffer) => stdout.push(chunk));
  channel.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  channel.on('exit', (code: number | null) => (exitCode = typeof code === 'number' ? code : null));

  const timer = setTimeout(() => {
    timedOut = true;
    try {
      channel.signal('KILL');
    } catch {
      // the channel may already be closing
    }
    channel.close();
  }, req.timeoutMs);

  await new Promise<void>((resolve) => {
    channel.once('close', () => resolve());
    if (req.stdin) channel.write(req.stdin);
    channel.end();
  });
  clearTimeout(timer);

  return {
    command: req.shown,
    stdout: stdout.text(),
    stderr: stderr.text(),
    exitCode: timedOut ? null : exitCode,
    truncated: stdout.cut || stderr.cut,
    timedOut,
    durationMs: Date.now() - started,
  };
}
