/**
 * Runs one nebula process (`<nebula> -config <file>`), restarts it on demand, and stops it within a bound:
 * SIGTERM, then SIGKILL if it has not exited after `stopTimeoutMs`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

export interface SupervisorOptions {
  /** The nebula binary, or a wrapper script that passes its arguments on to nebula. */
  nebulaPath: string;
  configPath: string;
  log: (message: string) => void;
  stopTimeoutMs?: number;
}

interface Running {
  proc: ChildProcess;
  exited: Promise<void>;
  stopping: boolean;
}

export class NebulaSupervisor {
  private current: Running | undefined;
  private readonly stopTimeoutMs: number;

  constructor(private readonly options: SupervisorOptions) {
    this.stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
  }

  get running(): boolean {
    return this.current !== undefined;
  }

  get pid(): number | undefined {
    return this.current?.proc.pid;
  }

  start(): void {
    if (this.current) return;
    const { nebulaPath, configPath, log } = this.options;
    // nebula's own log lines go where the agent's go (the journal, under systemd). Its own process group, so a
    // Ctrl-C at a terminal reaches the agent only, which then stops nebula itself.
    const proc = spawn(nebulaPath, ['-config', configPath], { stdio: ['ignore', 'inherit', 'inherit'], detached: true });
    const running: Running = { proc, stopping: false, exited: Promise.resolve() };
    running.exited = new Promise((resolve) => {
      let reported = false;
      const gone = (how: string) => {
        if (reported) return;
        reported = true;
        if (this.current === running) this.current = undefined;
        if (!running.stopping) log(`nebula ${how}; it is started again at the next poll`);
        resolve();
      };
      proc.once('error', (err) => gone(`could not be started (${nebulaPath}): ${err.message}`));
      proc.once('exit', (code, signal) => gone(`exited unexpectedly (${signal ?? `code ${code}`})`));
    });
    this.current = running;
    if (proc.pid) log(`nebula started (pid ${proc.pid}): ${nebulaPath} -config ${configPath}`);
  }

  async stop(): Promise<void> {
    const running = this.current;
    if (!running) return;
    running.stopping = true;
    this.current = undefined;
    const { proc } = running;
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), this.stopTimeoutMs)));
    const killed = await Promise.race([running.exited.then(() => false), timedOut]);
    clearTimeout(timer);
    if (killed) {
      this.options.log(`nebula (pid ${proc.pid}) did not exit within ${this.stopTimeoutMs / 1000}s of SIGTERM; sending SIGKILL`);
      proc.kill('SIGKILL');
      await running.exited;
    }
    this.options.log(`nebula (pid ${proc.pid}) stopped`);
  }

  async restart(): Promise<void> {
    await this.stop();
    this.start();
  }
}

/** --nebula as given (it must be executable), else `nebula` from PATH; undefined when there is none. */
export function resolveNebulaPath(flag: string | undefined, path = process.env.PATH ?? ''): string | undefined {
  const executable = (file: string) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (flag) return executable(flag) ? resolve(flag) : undefined;
  return path.split(delimiter).filter(Boolean).map((dir) => join(dir, 'nebula')).find(executable);
}
