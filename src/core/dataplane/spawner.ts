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
      this.child.send({ id, argv, inputBytes: Buffer.byteLength(input), timeoutMs }, (err) => err && this.settle(id, { error: `cannot reach the spawner process: ${err.message}` }));
      this.child.stdin!.write(input);
    });
  }

  private settle(id: number, answer: Answer) {
    const resolve = this.pending.get(id);
    this.pending.delete(id);
    if (!this.pending.size) this.hold(false);
    resolve?.(answer);
  }

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
  if (answer.error !== undefined) throw new Error(answer.error);
  return { code: answer.code ?? null, signal: answer.signal ?? null, stdout: answer.stdout ?? '', stderr: answer.stderr ?? '' };
}

/** The running spawner's process id, or null when none runs (tests and diagnostics). */
export const spawnerPid = (): number | null => (current && !current.gone ? current.pid ?? null : null);
