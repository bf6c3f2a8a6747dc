import { spawn, type ChildProcess } from 'node:child_process';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface SpawnedRampart {
  proc: ChildProcess;
  url: string;
  metricsUrl: string;
  /** Parsed JSON log lines so far. */
  logs: any[];
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts a real Rampart process (the CLI, or a fixture script) and waits for its "Rampart is serving" log line.
 * Listen on port 0 so parallel tests never collide; the line tells where it landed.
 */
export async function spawnRampart(args: string[], env: NodeJS.ProcessEnv = {}, script = 'bin/rampart.js', opts: { netns?: string } = {}): Promise<SpawnedRampart> {
  const command = [process.execPath, ...(script.endsWith('.ts') ? ['--import', 'tsx'] : []), script, ...args];
  // In a network namespace the test made: `ip netns exec` execs node itself, so the pid is Rampart's.
  const [file, ...argv] = opts.netns ? ['ip', 'netns', 'exec', opts.netns, ...command] : command;
  const proc = spawn(file, argv, {
    cwd: repoRoot,
    // No 503 for a password hash that waits on a loaded machine (test/api/password-overload.test.ts tests the rule).
    env: { ...process.env, RAMPART_LOG_FORMAT: 'json', RAMPART_AUTH_ARGON2_MAX_WAIT_MS: '60000', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: any[] = [];
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const ready = new Promise<{ url: string; metrics: string }>((resolve, reject) => {
    let buffer = '';
    proc.stdout!.on('data', (chunk) => {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          const entry = JSON.parse(line);
          logs.push(entry);
          if (entry.msg === 'Rampart is serving') resolve(entry);
        } catch {
          // not a log line
        }
      }
    });
    proc.stderr!.on('data', (chunk) => (stderr += chunk));
    exited.then((code) => reject(new Error(`rampart exited (${code}) before serving:\n${stderr}\n${JSON.stringify(logs)}`)));
  });
  // A generous bound, not a wait: it only ends a start that hangs (a loaded CI machine can take tens of seconds).
  const timeout = setTimeout(() => proc.kill('SIGKILL'), 120_000);
  try {
    const { url, metrics } = await ready;
    return {
      proc,
      url,
      metricsUrl: metrics,
      logs,
      exited,
      async stop(signal = 'SIGTERM') {
        if (proc.exitCode === null) proc.kill(signal);
        return exited;
      },
    };
  } finally {
    clearTimeout(timeout);
  }
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json(): any;
}

/** One request over HTTP or HTTPS (trusting `ca`, or any certificate when ca is absent). */
export function fetchRaw(
  url: string,
  opts: { method?: string; body?: unknown; headers?: Record<string, string>; ca?: string; agent?: unknown } = {},
): Promise<HttpResult> {
  const u = new URL(url);
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const request = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      u,
      {
        method: opts.method ?? 'GET',
        headers: { ...(payload ? { 'content-type': 'application/json' } : {}), ...opts.headers },
        ...(u.protocol === 'https:' ? (opts.ca ? { ca: opts.ca } : { rejectUnauthorized: false }) : {}),
        ...(opts.agent ? { agent: opts.agent as never } : {}),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body, json: () => JSON.parse(body) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
