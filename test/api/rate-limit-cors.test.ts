import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTestRampart } from '../helpers/app.js';
import { probeModule } from '../helpers/probe-module.js';

test('a rate-limited route answers 429 with Retry-After, per client IP, in its dialect', async () => {
  const r = await createTestRampart({ modules: [probeModule()] });
  try {
    const call = (ip: string) => r.app.inject({ method: 'GET', url: '/v1/probe/limited', remoteAddress: ip });
    for (let i = 0; i < 3; i++) assert.equal((await call('10.1.1.1')).statusCode, 200);
    const limited = await call('10.1.1.1');
    assert.equal(limited.statusCode, 429);
    assert.deepEqual(Object.keys(limited.json()).sort(), ['detail', 'error']);
    assert.equal(limited.json().error, 'rate_limited');
    assert.ok(Number(limited.headers['retry-after']) > 0 && Number(limited.headers['retry-after']) <= 60);
    assert.equal((await call('10.2.2.2')).statusCode, 200, 'another client is not limited');
  } finally {
    await r.cleanup();
  }
});

test('CORS answers only for configured origins', async () => {
  const r = await createTestRampart({ overrides: { 'server.cors_origins': ['https://console.example'] } });
  try {
    const allowed = await r.app.inject({ method: 'GET', url: '/api/v1/health', headers: { origin: 'https://console.example' } });
    assert.equal(allowed.headers['access-control-allow-origin'], 'https://console.example');
    const other = await r.app.inject({ method: 'GET', url: '/api/v1/health', headers: { origin: 'https://evil.example' } });
    assert.equal(other.headers['access-control-allow-origin'], undefined);
  } finally {
    await r.cleanup();
  }
});
