import assert from 'node:assert/strict';
import { test } from 'node:test';
import { registerReadiness } from '../../src/modules/egress/dataplane/readiness.js';
import { createTestRampart } from '../helpers/app.js';

test("GET /ready answers Neuwerk's {ready, checks[]} beside Rampart's fields; 503 while a module's condition fails", async () => {
  const r = await createTestRampart();
  try {
    const ready = await r.app.inject({ method: 'GET', url: '/ready' });
    assert.equal(ready.statusCode, 200);
    assert.deepEqual(ready.json(), {
      ready: true,
      checks: [{ name: 'database', ok: true, detail: null }, { name: 'migrations', ok: true, detail: null }],
      status: 'ready', database: 'ok', pending_migrations: 0,
    });

    // The egress gateway's conditions, as its start hook registers them: a data plane that failed its newest
    // generation and a DNS proxy that is not up make the node not ready.
    const runtime = { enabled: true, status: () => ({ enabled: true, node_id: 'gw', generation: 3, applied_at: null, error: 'nft: syntax error' }) };
    const services = { runtime, dnsProxy: null as unknown };
    const unregister = registerReadiness(r.core, services);
    const failing = await r.app.inject({ method: 'GET', url: '/ready' });
    assert.equal(failing.statusCode, 503);
    const body = failing.json();
    assert.equal(body.ready, false);
    assert.equal(body.status, 'not_ready');
    assert.deepEqual(body.checks.slice(2), [
      { name: 'dataplane_running', ok: true, detail: null },
      { name: 'policy_ready', ok: false, detail: 'the newest policy generation failed to apply: nft: syntax error' },
      { name: 'dns_allowlist', ok: false, detail: 'dns proxy not ready' },
    ]);

    services.dnsProxy = {};
    runtime.status = () => ({ enabled: true, node_id: 'gw', generation: 4, applied_at: null, error: null as unknown as string });
    const recovered = await r.app.inject({ method: 'GET', url: '/ready' });
    assert.equal(recovered.statusCode, 200, recovered.body);
    assert.ok(recovered.json().checks.every((c: { ok: boolean }) => c.ok));

    unregister();
    assert.equal((await r.app.inject({ method: 'GET', url: '/ready' })).json().checks.length, 2);
  } finally {
    await r.cleanup();
  }
});
