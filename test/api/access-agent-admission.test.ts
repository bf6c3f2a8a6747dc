/**
 * The gateway agent's admission endpoint against the real control plane (Rampart in process, listening on
 * loopback): a device enrolled with the real device agent code presents its real SPC; the agent checks it offline
 * with the anchors and revocation set it pulled, asks the real admission grant, and drives the grant table (here
 * a recording data plane: the WireGuard and nft side is test/e2e/access-tunnel.test.ts and access-ztna.test.ts).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { createAdmissionServer } from '../../src/agent/access/admission.js';
import { enrollDevice } from '../../src/agent/access/device-agent.js';
import { enrollGateway } from '../../src/agent/access/gateway-agent.js';
import { GrantTable, type GatewayDataplane } from '../../src/agent/access/grants.js';
import { AccessClient } from '../../src/agent/access/http.js';
import { generateWireguardKeys } from '../../src/agent/access/keys.js';
import { GatewayRuntime } from '../../src/agent/access/runtime.js';
import type { DeviceState, GatewayState } from '../../src/agent/access/state.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';
import { signSpc, spcClaims, testSigner } from '../helpers/access-spc.js';

describe('the gateway agent\'s admission endpoint, against the real control plane', () => {
  let r: TestRampart;
  let admin: SignedIn;
  let url: string;
  let gateway: GatewayState;
  let inEng: DeviceState;
  let outsider: DeviceState;
  let admission: Server;
  let admitUrl: string;
  const calls: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'rampart-admission-'));
  const dataplane: GatewayDataplane = {
    addPeer: async (key, ip) => void calls.push(`add ${key} ${ip}`),
    removePeer: async (key, ip) => void calls.push(`remove ${key} ${ip}`),
    applyRules: async (devices) => void calls.push(`rules ${devices.map((d) => d.overlay_ip).join(' ')}`),
    forget: async (ip) => void calls.push(`forget ${ip}`),
  };
  const grants = new GrantTable(dataplane, () => {});
  let runtime: GatewayRuntime;

  const api = async (method: 'GET' | 'POST', path: string, payload?: object) => {
    const res = await r.app.inject({ method, url: path, headers: admin.headers, ...(payload ? { payload } : {}) });
    assert.ok(res.statusCode < 300, `${path}: ${res.statusCode} ${res.body}`);
    return res.json();
  };
  const deviceToken = async (extra: object) => (await api('POST', '/v1/admin/tokens/generate', { kind: 'device', ...extra })).secret as string;
  const admit = async (body: unknown, raw = false) => {
    const res = await fetch(admitUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw ? String(body) : JSON.stringify(body) });
    return { status: res.status, body: await res.json() };
  };
  const presentation = (d: DeviceState, over: object = {}) => ({ spc: d.spc, device_id: d.device_id, public_key: d.public_key, ...over });

  before(async () => {
    r = await createTestRampart();
    admin = await signIn(r, { roles: ['admin'] });
    await r.app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(r.app.server.address() as AddressInfo).port}`;
    const pool = await api('POST', '/v1/admin/settings/gateway-pools', { name: 'lab', region: 'lab-1', destinations: ['10.231.2.0/24'] });
    const gatewayToken = (await api('POST', '/v1/admin/tokens/generate', { kind: 'gateway', pool_id: pool.id })).secret;
    gateway = await enrollGateway({ server: url, token: gatewayToken, stateDir: join(dir, 'gw'), endpoint: '10.231.1.2:51820', admissionUrl: 'http://10.231.1.2:51821/v1/admit' });
    const user = await r.core.identity.users.create({ username: 'alice', email: 'alice@example.test' });
    const eng = await r.core.identity.groups.create({ name: 'eng', member_ids: [user.id] });
    await api('POST', '/v1/admin/policy/publish', { channel: 'stable', rules: [{ name: 'eng', sources: { group_ids: [eng.id] }, destinations: [{ cidr: '10.231.2.2/32', protocol: 'tcp', ports: ['8080'] }] }] });
    inEng = await enrollDevice({ server: url, token: await deviceToken({ bound_user_id: user.id }), stateDir: join(dir, 'a') });
    outsider = await enrollDevice({ server: url, token: await deviceToken({}), stateDir: join(dir, 'b') });
    runtime = new GatewayRuntime(new AccessClient(url), gateway.gateway_token);
    await runtime.refresh();
    admission = createAdmissionServer({ runtime, grants, gatewayPublicKey: gateway.public_key, gatewayId: gateway.gateway_id, log: () => {} });
    await new Promise<void>((resolve) => admission.listen(0, '127.0.0.1', resolve));
    admitUrl = `http://127.0.0.1:${(admission.address() as AddressInfo).port}/v1/admit`;
  });
  after(async () => {
    admission?.close();
    await r?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  test('enrollment gave the device an SPC; presenting it admits the device to exactly its grant', async () => {
    assert.ok(inEng.spc, 'the enroll answer carries an SPC');
    const res = await admit(presentation(inEng));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.ok, true);
    assert.equal(res.body.overlay_ip, inEng.overlay_ip);
    assert.equal(res.body.gateway_public_key, gateway.public_key);
    assert.equal(res.body.gateway_id, gateway.gateway_id);
    assert.deepEqual(res.body.destinations, [{ cidr: '10.231.2.2/32', protocol: 'tcp', ports: ['8080'] }]);
    assert.match(res.body.session_id, /^[0-9a-f-]{36}$/);
    assert.deepEqual(calls.splice(0), [`rules ${inEng.overlay_ip}`, `add ${inEng.public_key} ${inEng.overlay_ip}`], 'rules before the peer');
    const again = await admit(presentation(inEng));
    assert.equal(again.body.session_id, res.body.session_id, 'a re-admission keeps the session');
    assert.deepEqual(calls.splice(0), [], 'and changes nothing in the data plane');
  });

  test('bad input is refused in the envelope and changes nothing', async () => {
    for (const [body, status] of [
      [presentation(inEng, { public_key: 'not-a-key' }), 422],
      [presentation(inEng, { spc: undefined }), 422],
      [presentation(inEng, { device_id: '' }), 422],
    ] as const) {
      const res = await admit(body);
      assert.equal(res.status, status, JSON.stringify(res.body));
      assert.equal(res.body.error, 'validation_error');
    }
    const notJson = await admit('{nope', true);
    assert.equal(notJson.status, 400);
    assert.equal(notJson.body.error, 'bad_request');
    assert.equal((await fetch(admitUrl)).status, 405);
    assert.equal((await fetch(admitUrl.replace('/v1/admit', '/other'), { method: 'POST' })).status, 404);
    assert.deepEqual(calls, []);
  });

  test('a forged SPC, someone else\'s SPC, or another key is refused before the control plane is asked', async () => {
    const forged = signSpc(testSigner(JSON.parse(Buffer.from(inEng.spc!.split('.')[0], 'base64url').toString()).kid), spcClaims(inEng.device_id, inEng.public_key));
    const cases = [
      [presentation(inEng, { spc: forged }), /SPC bad_signature/],
      [presentation(inEng, { device_id: outsider.device_id, public_key: outsider.public_key }), /SPC wrong_device/],
      [presentation(inEng, { public_key: generateWireguardKeys().public_key }), /SPC wrong_key/],
      [presentation(inEng, { spc: signSpc(testSigner(), spcClaims(inEng.device_id, inEng.public_key)) }), /SPC unknown_kid/],
    ] as const;
    for (const [body, detail] of cases) {
      const res = await admit(body);
      assert.equal(res.status, 403, JSON.stringify(res.body));
      assert.equal(res.body.error, 'forbidden');
      assert.match(res.body.detail, detail);
    }
    assert.deepEqual(calls, []);
  });

  test('a device the policy gives nothing is refused with the grant\'s reason', async () => {
    const res = await admit(presentation(outsider));
    assert.equal(res.status, 403);
    assert.match(res.body.detail, /not admitted: no_destinations/);
    assert.deepEqual(calls, []);
  });

  test('after the device is revoked its SPC is refused offline once the gateway has pulled the revocation set', async () => {
    await api('POST', '/v1/admin/devices/lifecycle', { action: 'revoke', device_id: inEng.device_id, reason: 'test' });
    assert.equal(await runtime.refresh(), true, 'the revocation set changed');
    const res = await admit(presentation(inEng));
    assert.equal(res.status, 403);
    assert.match(res.body.detail, /SPC revoked/);
    const answer = await runtime.grant(inEng.device_id, inEng.public_key);
    assert.equal(answer.allow, false, 'the control plane refuses it too');
  });

  test('an unreachable control plane answers 503 and admits nothing', async () => {
    const fresh = await enrollDevice({ server: url, token: await deviceToken({}), stateDir: join(dir, 'c') });
    const offline = new GatewayRuntime(new AccessClient('http://127.0.0.1:9'), gateway.gateway_token);
    // The anchors and revocation set as pulled before the control plane went away.
    Object.assign(offline, { anchorList: (runtime as any).anchorList, revokedSerials: runtime.revokedSerials });
    const server = createAdmissionServer({ runtime: offline, grants, gatewayPublicKey: gateway.public_key, gatewayId: gateway.gateway_id, log: () => {} });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/admit`, { method: 'POST', body: JSON.stringify(presentation(fresh)) });
      assert.equal(res.status, 503);
      assert.equal((await res.json()).error, 'unavailable');
    } finally {
      server.close();
    }
    assert.deepEqual(calls, []);
  });
});
