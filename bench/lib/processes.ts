import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { createServer } from 'node:net';
import { join } from 'node:path';

export interface Child {
  name: string;
  pid: number;
  proc: ChildProcess;
  /** The last lines the child wrote (stdout and stderr go to a file, not through this process). */
  tail(): string;
  exited(): boolean;
  stop(): Promise<void>;
}

const STOP_GRACE_MS = 5_000;

/**
 * Spawns a server child whose output goes to <logDir>/<name>.log, so reading it costs the load generator nothing.
 * Register `stop` with ctx.defer; an exit hook in run.ts kills anything left.
 */
export function spawnChild(name: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; logDir: string }): Child {
  const logFile = join(opts.logDir, `${name}.log`);
  const fd = openSync(logFile, 'w');
  let proc: ChildProcess;
  try {
    proc = spawn(process.execPath, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  if (proc.pid === undefined) throw new Error(`could not start ${name}`);
  live.add(proc);
  let exitedFlag = false;
  const exitedPromise = new Promise<void>((resolve) =>
    proc.once('exit', () => {
      exitedFlag = true;
      live.delete(proc);
      resolve();
    }),
  );
  proc.once('error', () => undefined); // spawn errors surface as an early exit
  return {
    name,
    pid: proc.pid,
    proc,
    exited: () => exitedFlag,
    tail() {
      try {
        return readFileSync(logFile, 'utf8').split('\n').slice(-20).join('\n');
      } catch {
        return '';
      }
    },
    async stop() {
      if (exitedFlag) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_GRACE_MS);
      await exitedPromise;
      clearTimeout(timer);
    },
  };
}

const live = new Set<ChildProcess>();

/** Last resort when the harness exits without its cleanup (synchronous, as 'exit' handlers must be). */
export function killLiveChildren(): void {
  for (const proc of live) proc.kill('SIGKILL');
}

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface Fetched {
  status: number;
  contentType: string;
  body: string;
}

/** One GET on a fresh connection; a self-signed certificate is accepted (these are our own local servers). */
export function fetchOnce(url: string, timeoutMs = 2_000): Promise<Fetched> {
  const get = url.startsWith('https:') ? httpsGet : httpGet;
  return new Promise((resolve, reject) => {
    const req = get(url, { agent: false, rejectUnauthorized: false, servername: 'localhost', timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/** Polls url until it answers 200, the child exits, or timeoutMs passes. */
export async function waitUntilServing(child: Child, url: string, timeoutMs = 30_000): Promise<Fetched> {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no answer yet';
  while (Date.now() < deadline) {
    if (child.exited()) throw new Error(`${child.name} exited before serving ${url}:\n${child.tail()}`);
    try {
      const res = await fetchOnce(url);
      if (res.status === 200) return res;
      lastError = `status ${res.status}`;
    } catch (err) {
      lastError = (err as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${child.name} did not serve ${url} within ${timeoutMs} ms (${lastError}):\n${child.tail()}`);
}

let clockTicks: number | undefined;

/** CPU seconds (user + system) a process has used so far, from /proc; null off Linux or once it is gone. */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15 of the whole line.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    clockTicks ??= ticksPerSecond();
    return (Number(fields[11]) + Number(fields[12])) / clockTicks;
  } catch {
    return null;
  }
}

function ticksPerSecond(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}
