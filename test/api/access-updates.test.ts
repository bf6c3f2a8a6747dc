/**
 * Signed agent updates: GET /v1/update/manifest and /v1/update/package (packages published as files in
 * access.update_dir), verified and applied by `rampart agent device update` (src/agent/access/update.ts). Tampering is
 * played by a proxy between the agent and the control plane that rewrites what the server answered.
 */
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { spawn } from 'node:child_process';
import { EXIT_UPDATED, enrollDevice, runDeviceAgent } from '../../src/agent/access/device-agent.js';
import type { CommandRunner } from '../../src/agent/access/exec.js';
import { readAgentState } from '../../src/agent/access/state.js';
import { checkForUpdate, UpdateRefused, verifyManifest } from '../../src/agent/access/update.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';
import { waitFor } from '../helpers/wait.js';

type Tamper = 'none' | 'flip-byte' | 'flip-byte-and-digest' | 'drop-byte';

describe('access: signed agent updates', () => {
  let r: TestRampart;
  let admin: SignedIn;
  let proxy: Server;
  let proxyUrl: string;
  let tamper: Tamper = 'none';
  const dir = mkdtempSync(join(tmpdir(), 'rampart-upd-'));
  const updates = join(dir, 'updates');
  const publish = (version: string, bytes: Buffer, channel = 'stable', platform = 'linux-x64') => {
    mkdirSync(join(updates, channel, platform), { recursive: true });
    writeFileSync(join(updates, channel, platform, version), bytes);
  };
  const api = async (method: string, url: string, payload?: unknown) => {
    const res = await r.app.inject({ method: method as 'GET', url, headers: admin.headers, payload: payload as object });
    assert.ok(res.statusCode < 300, `${method} ${url}: ${res.statusCode} ${res.body}`);
    return res.json();
  };

  before(async () => {
    r = await createTestRampart({ overrides: { 'access.update_dir': updates } });
    admin = await signIn(r, { roles: ['admin'] });
    await r.app.listen({ host: '127.0.0.1', port: 0 });
    const upstream = (r.app.server.address() as AddressInfo).port;
    // Forwards to the control plane; rewrites update answers as the current tamper mode says.
    proxy = createServer((req, res) => {
      const up = request({ host: '127.0.0.1', port: upstream, path: req.url, method: req.method, headers: req.headers }, (ur) => {
        const chunks: Buffer[] = [];
        ur.on('data', (c: Buffer) => chunks.push(c));
        ur.on('end', () => {
          let body = Buffer.concat(chunks);
          const headers = { ...ur.headers };
          if (ur.statusCode === 200 && req.url?.startsWith('/v1/update/package') && tamper !== 'none') {
            body = Buffer.from(body);
            if (tamper === 'drop-byte') body = body.subarray(1);
            else body[body.length >> 1] ^= 0x01;
          }
          if (ur.statusCode === 200 && req.url?.startsWith('/v1/update/manifest') && tamper === 'flip-byte-and-digest') {
            // The attacker also rewrites the digest to their package's: the signature no longer matches.
            const m = JSON.parse(body.toString('utf8'));
            const pkg = Buffer.from(readFileSync(join(updates, m.channel, m.platform, m.version)));
            pkg[pkg.length >> 1] ^= 0x01;
            m.sha256 = createHash('sha256').update(pkg).digest('hex');
            body = Buffer.from(JSON.stringify(m));
          }
          headers['content-length'] = String(body.length);
          res.writeHead(ur.statusCode!, headers);
          res.end(body);
        });
      });
      req.pipe(up);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  });
  after(async () => {
    proxy?.close();
    await r?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const enrolled = async (name: string) => {
    const token = (await api('POST', '/v1/admin/tokens/generate', {})).secret;
    const stateDir = join(dir, name);
    await enrollDevice({ server: proxyUrl, token, stateDir });
    return stateDir;
  };

  test('enrollment pins the update key; a good package is verified and staged atomically, then the agent is up to date', async () => {
    const v1 = Buffer.from('#!/bin/sh\necho rampart agent 9.1.0\n'.repeat(200));
    publish('9.0.0', Buffer.from('old package'));
    publish('9.1.0', v1);
    const stateDir = await enrolled('good');
    const state = readAgentState(stateDir, 'device');
    assert.match(state.update_public_key ?? '', /^[A-Za-z0-9_-]{43}$/, 'the enroll answer gave the update-signing public key');

    const m = (await r.app.inject({ method: 'GET', url: '/v1/update/manifest?platform=linux-x64&channel=stable&current=9.0.0', headers: { authorization: `Bearer ${state.device_token}` } })).json();
    assert.equal(m.version, '9.1.0', 'the newest version is offered');
    assert.equal(m.sha256, createHash('sha256').update(v1).digest('hex'));
    assert.equal(m.size, v1.length);
    assert.equal(m.update_available, true);
    assert.equal(m.algorithm, 'Ed25519');
    verifyManifest(m, state.update_public_key!);
    const other = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x!;
    assert.throws(() => verifyManifest(m, other), UpdateRefused, 'a manifest verifies only under the pinned key');

    const result = await checkForUpdate({ stateDir, platform: 'linux-x64' });
    assert.deepEqual({ status: result.status, version: result.version }, { status: 'applied', version: '9.1.0' });
    assert.deepEqual(readFileSync(join(stateDir, 'agent-package')), v1, 'the staged package is the published one');
    assert.equal(readAgentState(stateDir, 'device').update_version, '9.1.0');
    const again = await checkForUpdate({ stateDir, platform: 'linux-x64' });
    assert.equal(again.status, 'current');
  });

  test('a tampered package is refused and nothing is applied: a changed byte, a wrong length, a rewritten digest, another key', async () => {
    publish('9.2.0', Buffer.from('rampart agent 9.2.0 '.repeat(300)), 'canary');
    const stateDir = await enrolled('tampered');
    const staged = join(stateDir, 'agent-package');
    const refused = async (mode: Tamper, pattern: RegExp, opts: { publicKey?: string } = {}) => {
      tamper = mode;
      try {
        await assert.rejects(checkForUpdate({ stateDir, platform: 'linux-x64', channel: 'canary', ...opts }), (err: Error) => err instanceof UpdateRefused && pattern.test(err.message));
      } finally {
        tamper = 'none';
      }
      assert.equal(existsSync(staged), false, `${mode}: nothing staged`);
      assert.equal(readAgentState(stateDir, 'device').update_version, undefined, `${mode}: no version recorded`);
    };
    await refused('flip-byte', /sha256/);
    await refused('drop-byte', /bytes|larger/);
    await refused('flip-byte-and-digest', /bad signature/);
    const otherKey = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x!;
    await refused('none', /bad signature/, { publicKey: otherKey });

    const ok = await checkForUpdate({ stateDir, platform: 'linux-x64', channel: 'canary' });
    assert.equal(ok.status, 'applied', 'the untampered package still applies');
    assert.equal(readFileSync(staged, 'utf8'), 'rampart agent 9.2.0 '.repeat(300));
  });

  test('the routes: 401 without a credential, 404 when nothing is published, 422 on bad input, the package with its digest', async () => {
    const stateDir = await enrolled('routes');
    const device = { authorization: `Bearer ${readAgentState(stateDir, 'device').device_token}` };
    const get = (url: string, headers: Record<string, string> = device) => r.app.inject({ method: 'GET', url, headers });

    const anon = await get('/v1/update/manifest?platform=linux-x64', {});
    assert.equal(anon.statusCode, 401);
    assert.equal(anon.json().error, 'unauthorized');
    assert.equal((await get('/v1/update/package?platform=linux-x64', {})).statusCode, 401);
    const plain = await signIn(r, { permissions: ['host:read'] });
    assert.equal((await get('/v1/update/manifest?platform=linux-x64', plain.headers)).statusCode, 403);
    assert.equal((await get('/v1/update/manifest?platform=linux-x64', admin.headers)).statusCode, 200, 'admins who may read devices see it');

    const none = await get('/v1/update/manifest?platform=windows-arm64');
    assert.equal(none.statusCode, 404);
    assert.deepEqual(Object.keys(none.json()).sort(), ['detail', 'error']);
    assert.equal(none.json().error, 'not_found');
    assert.equal((await get('/v1/update/package?platform=linux-x64&version=8.0.0')).statusCode, 404);
    for (const url of ['/v1/update/manifest?platform=../etc', '/v1/update/manifest?channel=beta', '/v1/update/manifest?current=latest', '/v1/update/package?version=../../x']) {
      const res = await get(url);
      assert.equal(res.statusCode, 422, url);
      assert.equal(res.json().error, 'validation_error');
    }

    const pkg = await get('/v1/update/package?platform=linux-x64&channel=stable&version=9.0.0');
    assert.equal(pkg.statusCode, 200);
    assert.equal(pkg.body, 'old package');
    assert.equal(pkg.headers['x-checksum-sha256'], createHash('sha256').update('old package').digest('hex'));
    assert.equal((await get('/v1/update/package?platform=linux-x64')).headers['x-rampart-version'], '9.1.0', 'the newest by default');
  });

  test('agent device run checks on its timer: a tampered update is logged and ignored, a good one is staged and run exits 3', async () => {
    publish('9.3.0', Buffer.from('rampart agent 9.3.0'), 'canary', 'linux-x64');
    const stateDir = await enrolled('timer');
    // The data plane is not what this test is about (the e2e tests drive wireguard-go): every command succeeds,
    // wireguard-go is a process that just waits.
    const runner: CommandRunner = {
      run: async (command, args) => ({ status: command === 'ip' && args[1] === 'show' ? 1 : 0, stdout: '', stderr: '' }),
      spawn: () => spawn('sleep', ['600']),
    };
    const lines: string[] = [];
    const stop = new AbortController();
    const run = (updateIntervalMs: number) => runDeviceAgent({
      stateDir, ifname: 'rup-test0', postureIntervalMs: 60_000, telemetryIntervalMs: 60_000, policyIntervalMs: 60_000,
      log: (line) => void lines.push(line), signal: stop.signal, runner, updateIntervalMs, updateChannel: 'canary',
      backoff: { baseMs: 60_000, capMs: 60_000 },
    });
    tamper = 'flip-byte';
    const running = run(100);
    try {
      await waitFor('two refused update checks', () => lines.filter((l) => l.startsWith('update refused, nothing applied')).length >= 2);
    } finally {
      tamper = 'none';
    }
    assert.equal(existsSync(join(stateDir, 'agent-package')), false, 'nothing staged while the package is tampered');
    assert.equal(await running, EXIT_UPDATED, 'the next check finds the untampered package, stages it and exits 3');
    assert.equal(readFileSync(join(stateDir, 'agent-package'), 'utf8'), 'rampart agent 9.3.0');
    assert.ok(lines.some((l) => /update .* -> 9\.3\.0 verified and staged/.test(l)), lines.join('\n'));
    stop.abort();
  });
});
