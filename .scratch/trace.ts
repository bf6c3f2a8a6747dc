import pg from 'pg';
import { createTestRampart } from '../test/helpers/app.js';
import { signIn } from '../test/helpers/identity.js';

const log: string[] = [];
let on = false;
const orig = pg.Client.prototype.query;
(pg.Client.prototype as any).query = function (this: unknown, ...args: any[]) {
  if (on) {
    const a = args[0];
    log.push(typeof a === 'string' ? a : a?.text ?? String(a?.constructor?.name));
  }
  return (orig as any).apply(this, args);
};
const r = await createTestRampart();
const admin = await signIn(r, { roles: ['admin'], username: 'trace-admin' });
const call = (method: string, url: string, payload?: object) => r.app.inject({ method: method as 'GET', url, headers: admin.headers, ...(payload ? { payload } : {}) });
const net = (await call('POST', '/api/networks', { name: 'n1', subnet_cidr: '10.42.0.0/16' })).json();
await call('POST', '/api/certificates/create', { network_id: net.id, name: 'lh', is_lighthouse: true, public_endpoint: '192.0.2.1:4242' });
await call('POST', '/api/certificates/create', { network_id: net.id, name: 'n0' });
on = true;
const res = await call('POST', '/api/certificates/create', { network_id: net.id, name: 'n1' });
on = false;
console.log('CERT CREATE', res.statusCode, log.length);
log.forEach((q, i) => console.log(i, q.slice(0, 300)));
log.length = 0;
const user = (await call('POST', '/api/v1/users', { username: 'u1', email: 'u1@example.com', password: 'a perfectly fine passphrase' })).json();
await call('PATCH', `/api/v1/users/${user.id}`, { display_name: 'x' });
on = true;
const p = await call('PATCH', `/api/v1/users/${user.id}`, { display_name: 'y' });
on = false;
console.log('USER PATCH', p.statusCode, log.length);
log.forEach((q, i) => console.log(i, q.slice(0, 300)));
await r.cleanup();
