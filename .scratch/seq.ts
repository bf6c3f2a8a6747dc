import { createTestRampart } from '../test/helpers/app.js';
import { signIn } from '../test/helpers/identity.js';
const r = await createTestRampart();
const admin = await signIn(r, { roles: ['admin'], username: 'trace-admin' });
const call = (method: string, url: string, payload?: object) => r.app.inject({ method: method as 'GET', url, headers: admin.headers, ...(payload ? { payload } : {}) });
const net = (await call('POST', '/api/networks', { name: 'n1', subnet_cidr: '10.42.0.0/16' })).json();
await call('POST', '/api/certificates/create', { network_id: net.id, name: 'lh', is_lighthouse: true, public_endpoint: '192.0.2.1:4242' });
let n = 0;
for (const batch of [0, 1, 2, 3]) {
  const t0 = performance.now(); const c0 = process.cpuUsage();
  await Promise.all(Array.from({ length: 8 }, async () => { for (let i = 0; i < 25; i++) { const res = await call('POST', '/api/certificates/create', { network_id: net.id, name: `n${n++}` }); if (res.statusCode !== 200) throw new Error(res.body); } }));
  const c = process.cpuUsage(c0);
  console.log(`batch ${batch}: ${(200 / ((performance.now() - t0) / 1000)).toFixed(0)} creates/s, node cpu ${((c.user + c.system) / 200 / 1000).toFixed(2)} ms each`);
}
await r.cleanup();
