/**
 * Talking to a Rampart that a lab runs inside a network namespace: its API listens on a unix socket, which the test
 * process reaches through the shared file system while the namespace's network stays out of reach.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';

export interface Answer {
  status: number;
  body: string;
  json(): any;
}

export type Api = (method: string, path: string, body?: unknown) => Promise<Answer>;

/** The test's environment without its own RAMPART_* settings (a lab's Rampart or agent must not inherit them), plus `extra`. */
export function withoutRampartEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('RAMPART_'))), ...extra };
}

/** One call to Rampart's API over its unix socket, as the holder of `token` (or anonymously). */
export function socketCall(socket: string, method: string, path: string, token?: string, body?: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        socketPath: socket,
        path,
        method,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(payload ? { 'content-type': 'application/json' } : {}) },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk)).on('end', () => resolve({ status: res.statusCode!, body: text, json: () => JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Signs in as the initial admin of a Rampart whose data dir is dataDir; returns its access token. */
export async function adminToken(socket: string, dataDir: string): Promise<string> {
  const password = readFileSync(join(dataDir, 'initial-admin-password'), 'utf8').split('\n')[0].trim();
  const login = await socketCall(socket, 'POST', '/api/v1/auth/login', undefined, { username: 'admin', password });
  if (login.status !== 200) throw new Error(`admin login failed: ${login.status} ${login.body}`);
  return login.json().access_token as string;
}

/** A caller bound to the initial admin's token (see adminToken). */
export async function adminApi(socket: string, dataDir: string): Promise<Api> {
  const token = await adminToken(socket, dataDir);
  return (method, path, body) => socketCall(socket, method, path, token, body);
}
