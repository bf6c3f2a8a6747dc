/**
 * Runs the data planes' commands (nft, conntrack) in the spawner (spawner.mjs), a small process started on first
 * use and again after it has gone, so this process never forks: a fork of Rampart held its event loop 25-70 ms
 * (page tables copied, exec awaited).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { installRoot } from '../../install-root.js';

const SPAWNER = join(installRoot, 'src/core/dataplane/spawner.mjs');

/** How a command ended. */
export interface ProcessOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

type Answer = Partial<ProcessOutcome> & { error?: string };

/** One spawner process and the requests it has not answered yet. */
class Spawner {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, (answer: Answer) => void>();
  private nextId = 1;
  gone = false;

  get pid(): number | undefined {
    return this.child.pid;
  }

  constructor() {
    this.child = spawn(process.execPath, [SPAWNER], { stdio: ['pipe', 'ignore', 'inherit', 'ipc'], serialization: 'json' });
    this.child.stdin!.on('error', () => {}); // a spawner that has gone is reported by its exit
    this.child.on('message', (a: Answer & { id: number }) => this.settle(a.id, a));
    this.child.once('error', (e) => this.end(`cannot start the spawner process: ${e.message}`));
    this.child.once('exit', (code, signal) => this.end(`the spawner process exited (${signal ?? `exit ${code}`}) before the command ended`));
    this.hold(false);
  }

  run(argv: string[], input: string, timeoutMs: number | undefined): Promise<Answer> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.hold(true);
      // The input goes through the spawner's stdin, after the request: a large one is slow as an IPC message.
      this.child.send({ id, argv, inputBytes: Buffer.byteLength(input), timeoutMs }, this.sent);
      this.child.stdin!.write(input);
    });
  }

  /** Starts a streamed command (spawner.mjs): its input follows in pieces. */
  open(argv: string[], timeoutMs: number | undefined): { id: number; answer: Promise<Answer> } {
    const id = this.nextId++;
    const answer = new Promise<Answer>((resolve) => {
      this.pending.set(id, resolve);
      this.hold(true);
      this.child.send({ id, argv, stream: true, timeoutMs }, this.sent);
    });
    return { id, answer };
  }

  /** One piece of a streamed command's input; false when the pipe to the spawner is full (wait for drained()). */
  piece(id: number, text: string): boolean {
    if (this.gone) return true; // its answer has failed already
    this.child.send({ id, chunkBytes: Buffer.byteLength(text) }, this.sent);
    return this.child.stdin!.write(text);
  }

  drained(): Promise<void> {
    const stdin = this.child.stdin!;
    if (!stdin.writableNeedDrain || this.gone) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        stdin.off('drain', done);
        this.child.off('exit', done);
        resolve();
      };
      stdin.once('drain', done);
      this.child.once('exit', done);
    });
  }

  /** Ends a streamed command's input (`abort`: kills it instead, so nothing it was given takes effect). */
  close(id: number, abort: boolean): void {
    if (!this.gone) this.child.send(abort ? { id, abort: true } : { id, end: true }, this.sent);
  }

  private settle(id: number, answer: Answer) {
    const resolve = this.pending.get(id);
    this.pending.delete(id);
    if (!this.pending.size) this.hold(false);
    resolve?.(answer);
  }

  /** A message that could not be sent: the channel is broken, so this spawner is done (before its exit is seen). */
  private readonly sent = (err: Error | null) => {
    if (err) this.end(`cannot reach the spawner process: ${err.message}`);
  };

  /** Fails what it still owes; the next request starts a new spawner. */
  private end(error: string) {
    this.gone = true;
    for (const id of [...this.pending.keys()]) this.settle(id, { error });
  }

  /** Keeps this process alive while answers are owed, and only then. */
  private hold(on: boolean) {
    const stdin = this.child.stdin as Socket | null; // a pipe: a socket
    for (const handle of [this.child, this.child.channel, stdin]) {
      if (on) handle?.ref();
      else handle?.unref();
    }
  }
}

let current: Spawner | null = null;

/**
 * Runs argv with `input` on its stdin (killed after `timeoutMs` when given); rejects only when it could not run or
 * its output passed 64 MiB. A command that reads `-f -` finds its process already started.
 */
export async function runProcess(argv: string[], input = '', timeoutMs?: number): Promise<ProcessOutcome> {
  if (!current || current.gone) current = new Spawner();
  const answer = await current.run(argv, input, timeoutMs);
  return outcomeOf(answer);
}

/** How a command ended, from the spawner's answer; a command the spawner could not run throws. */
function outcomeOf(answer: Answer): ProcessOutcome {
  if (answer.error !== undefined) throw new Error(answer.error);
  return { code: answer.code ?? null, signal: answer.signal ?? null, stdout: answer.stdout ?? '', stderr: answer.stderr ?? '' };
}

/** A command whose input is written while it runs (see streamProcess). */
export interface ProcessStream {
  /** Queues a piece of the input; false when the caller should wait for drained() before writing more. */
  write(text: string): boolean;
  drained(): Promise<void>;
  /** Ends the input; resolves with how the command ended. */
  end(): Promise<ProcessOutcome>;
  /** Kills the command and what it runs, before it has seen the end of its input. */
  abort(): void;
}

/** Pieces of about this size go to the spawner as one message and one write. */
const PIECE = 64 * 1024;

/**
 * Runs argv reading its input from a pipe by path (give it `/dev/fd/0`), fed as it is written: `nft -f /dev/fd/0`
 * parses while the rest of the script is still being made, and does nothing to the kernel before the input ends, so
 * abort() before end() changes nothing.
 */
export function streamProcess(argv: string[], timeoutMs?: number): ProcessStream {
  if (!current || current.gone) current = new Spawner();
  const spawner = current;
  const { id, answer } = spawner.open(argv, timeoutMs);
  let held: string[] = [];
  let heldLength = 0;
  let closed = false;
  const flush = (): boolean => {
    if (!heldLength) return true;
    const text = held.length === 1 ? held[0] : held.join('');
    held = [];
    heldLength = 0;
    return spawner.piece(id, text);
  };
  return {
    write(text) {
      if (closed) throw new Error('the stream has ended');
      held.push(text);
      heldLength += text.length;
      return heldLength < PIECE || flush();
    },
    drained: () => spawner.drained(),
    async end() {
      if (!closed) {
        flush();
        closed = true;
        spawner.close(id, false);
      }
      return outcomeOf(await answer);
    },
    abort() {
      if (closed) return;
      closed = true;
      held = [];
      spawner.close(id, true);
      void answer; // settles once the command has gone
    },
  };
}

/** The running spawner's process id, or null when none runs (tests and diagnostics). */
export const spawnerPid = (): number | null => (current && !current.gone ? current.pid ?? null : null);
