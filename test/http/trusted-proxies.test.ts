/**
 * Behind a TLS-terminating proxy (server.insecure_http), the session cookie is Secure and the client address is
 * the forwarded one only when the request comes from a proxy listed in server.trusted_proxies; anyone else's
 * X-Forwarded-* headers are ignored.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/core/config/load.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { DEFAULT_PASSWORD } from '../helpers/identity.js';

describe('trusted proxies', () => {
  let r: TestRampart;
  let username: string;
  before(async () => {
    r = await createTestRampart({ overrides: { 'server.insecure_http': true, 'server.trusted_proxies': ['10.1.0.0/16', 'fd00::1'] } });
    username = (await r.core.identity.users.create({ username: 'proxied', password: DEFAULT_PASSWORD })).username;
  });
  after(() => r?.cleanup());

  async function login(remoteAddress: string, headers: Record<string, string>) {
    const res = await r.app.inject({
      method: 'POST', url: '/api/v1/auth/login', remoteAddress, headers,
      payload: { username, password: DEFAULT_PASSWORD },
    });
    assert.equal(res.statusCode, 200, res.body);
    const { items } = await r.core.audit.list({ correlationId: String(res.headers['x-correlation-id']) }, { limit: 1 });
    return { cookie: res.cookies.find((c) => c.name === 'rampart_session')!, clientIp: items[0]?.client_ip };
  }

  test('a trusted proxy that terminated https gets a Secure cookie, and its X-Forwarded-For names the client', async () => {
    const { cookie, clientIp } = await login('10.1.2.3', { 'x-forwarded-proto': 'https', 'x-forwarded-for': '198.51.100.7' });
    assert.equal(cookie.secure, true);
    assert.equal(clientIp, '198.51.100.7');
    const v6 = await login('fd00::1', { 'x-forwarded-proto': 'https' });
    assert.equal(v6.cookie.secure, true);
  });

  test('the same headers from anyone else are ignored', async () => {
    const { cookie, clientIp } = await login('10.2.0.1', { 'x-forwarded-proto': 'https', 'x-forwarded-for': '198.51.100.7' });
    assert.equal(cookie.secure, undefined);
    assert.equal(clientIp, '10.2.0.1');
  });

  test('plain http through a trusted proxy is not Secure', async () => {
    const { cookie } = await login('10.1.2.3', { 'x-forwarded-proto': 'http' });
    assert.equal(cookie.secure, undefined);
  });
});

test('server.trusted_proxies takes a comma-separated env list and refuses what is not an address or CIDR', () => {
  const config = loadConfig({ env: { RAMPART_SERVER_TRUSTED_PROXIES: '10.0.0.0/8, ::1 ,unix' }, cwd: '/tmp' });
  assert.deepEqual(config.server.trusted_proxies, ['10.0.0.0/8', '::1', 'unix']);
  for (const bad of ['10.0.0.0/33', 'proxy.example.com', '10.0.0.1/8/1']) {
    assert.throws(() => loadConfig({ env: { RAMPART_SERVER_TRUSTED_PROXIES: bad }, cwd: '/tmp' }), /server\.trusted_proxies/);
  }
});
