import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningRampart } from './rampart.js';

export interface Seeded {
  /** The first admin's bearer token and password. */
  token: string;
  password: string;
  /** A network with its lighthouse, so further nodes may be created in it. */
  networkId: string;
  userIds: string[];
}

/** Logs in as the first admin, makes a network with its lighthouse, and `users` users named `${prefix}-N`. */
export async function seedWrites(rampart: RunningRampart, opts: { users: number; prefix: string }): Promise<Seeded> {
  // First start created `admin` and wrote its password on the first line here, where an operator reads it.
  const password = readFileSync(join(rampart.dataDir, 'initial-admin-password'), 'utf8').split('\n')[0].trim();
  const call = async (method: string, path: string, body: unknown, token?: string) => {
    const res = await fetch(rampart.origin + path, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
    return JSON.parse(text);
  };
  const { access_token: token } = await call('POST', '/api/v1/auth/login', { username: 'admin', password });
  const network = await call('POST', '/api/networks', { name: opts.prefix, subnet_cidr: '10.128.0.0/12' }, token);
  await call('POST', '/api/certificates/create', { network_id: network.id, name: 'lighthouse', is_lighthouse: true, public_endpoint: '192.0.2.1:4242' }, token);
  const userIds: string[] = [];
  for (let i = 0; i < opts.users; i++) {
    const name = `${opts.prefix}-${i}`;
    userIds.push((await call('POST', '/api/v1/users', { username: name, email: `${name}@example.com`, password: `${name}-correct-horse` }, token)).id);
  }
  return { token, password, networkId: network.id, userIds };
}
