/**
 * Issue 14's "Done means" #1 on real packets: Rampart as the control plane, `rampart agent gateway` in a gateway
 * namespace in front of a resource namespace (HTTP on 8080 and 8081), and `rampart agent device` in two device
 * namespaces, all over WireGuard (wireguard-go) on 10.231.0.0/16 (test/helpers/ztna-lab.ts). Everything is
 * driven through the API as an administrator would: groups and users, enrollment tokens, policy bundles (stable,
 * then a canary for one device), device revocation, user suspension, and a posture requirement. The revocation
 * latency (API call to the first refused connection) is measured and printed; the bench measures its spread.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startTestIdp, type TestIdp } from '../helpers/oidc-idp.js';
import { repoRoot } from '../helpers/process.js';
import { requirePrograms, skipUnlessPrograms } from '../helpers/e2e.js';
import { waitFor } from '../helpers/wait.js';
import { RESOURCE_IP } from '../helpers/wg-lab.js';
import { PROGRAMS, ZtnaLab, type RunningDevice } from '../helpers/ztna-lab.js';

const skip = skipUnlessPrograms(...PROGRAMS);
/** Long enough for an admission, a handshake and a re-admission on a loaded machine; a bound, not a wait. */
const CHANGE_MS = 45_000;

let z: ZtnaLab | undefined;
let idp: TestIdp | undefined;
let eng = '';
let bobUser = '';
let a: RunningDevice;
let b: RunningDevice;

after(async () => {
  await idp?.close();
  const lab = z?.lab;
  await z?.destroy();
  if (lab) assert.deepEqual(lab.remaining(), [], 'namespaces removed');
});

/** What a device reaches now, as [8080, 8081]. */
async function reach(device: RunningDevice): Promise<[boolean, boolean]> {
  const [p8080, p8081] = await Promise.all([z!.lab.reaches(device.role, 8080, 1), z!.lab.reaches(device.role, 8081, 1)]);
  return [p8080, p8081];
}

/** Waits until a device reaches exactly this, then asserts it holds on a second look. */
async function expectReach(device: RunningDevice, expected: [boolean, boolean], what: string): Promise<void> {
  await waitFor(what, async () => JSON.stringify(await reach(device)) === JSON.stringify(expected), CHANGE_MS, 200).catch((err) => {
    throw new Error(`${err.message}\n${z!.context(...new Set([a, b, device]))}`);
  });
  assert.deepEqual(await reach(device), expected, `${what} (second look)`);
}

const stableRules = () => [{ name: 'eng to 8080', sources: { group_ids: [eng] }, destinations: [{ cidr: `${RESOURCE_IP}/32`, protocol: 'tcp', ports: ['8080'] }] }];

before(async () => {
  if (skip) return;
  requirePrograms(...PROGRAMS);
  z = await ZtnaLab.start();
  const alice = (await z.api('POST', '/v1/admin/users/lifecycle', { action: 'create', username: 'alice', email: 'alice@example.test' })).user;
  const bob = (await z.api('POST', '/v1/admin/users/lifecycle', { action: 'create', username: 'bob', email: 'bob@example.test' })).user;
  bobUser = bob.id;
  eng = (await z.api('POST', '/v1/admin/groups/lifecycle', { action: 'create', name: 'eng', member_ids: [alice.id] })).group.id;
  // Posture: every device must report its firewall on (the device agents' posture files say so, until one does not).
  await z.api('POST', '/v1/admin/policy/publish', { channel: 'stable', rules: stableRules(), posture: { required: ['firewall_on'] } });
  a = await z.startDevice('deviceA', 'laptop-a', { bound_user_id: alice.id });
  b = await z.startDevice('deviceB', 'laptop-b', { bound_user_id: bob.id });
});

test('device A (in eng) reaches 8080 but not 8081; device B (not in eng) reaches neither', { skip }, async () => {
  await expectReach(a, [true, false], 'device A on 8080 only');
  // B's refusal is in its agent's output once its first admission has been answered: waited for, not read at once.
  await waitFor('device B to be refused for its policy', () => /no_destinations/.test(b.agent.output()), CHANGE_MS, 200).catch((err) => {
    throw new Error(`${err.message}\n${z!.context(b)}`);
  });
  assert.deepEqual(await reach(b), [false, false], 'device B reaches nothing');
});

test('a canary bundle for device B alone allows it 8081, and only B\'s access changes', { skip }, async () => {
  const rules = [...stableRules(), { name: 'B to 8081', sources: { device_ids: [b.device_id] }, destinations: [{ cidr: `${RESOURCE_IP}/32`, protocol: 'tcp', ports: ['8081'] }] }];
  await z!.api('POST', '/v1/admin/policy/publish', { channel: 'canary', rules, posture: { required: ['firewall_on'] }, canary: { device_ids: [b.device_id] } });
  await expectReach(b, [false, true], 'device B on 8081 only');
  assert.deepEqual(await reach(a), [true, false], 'device A unchanged');
});

test('a device whose posture fails loses access until it passes again', { skip }, async () => {
  a.setPosture({ firewall_on: false });
  await expectReach(a, [false, false], 'device A cut for its posture');
  assert.deepEqual(await reach(b), [false, true], 'device B unchanged');
  a.setPosture({ firewall_on: true });
  await expectReach(a, [true, false], 'device A back once its posture passes');
});

test('revoking device A stops its traffic within seconds (measured and printed); B keeps its access', { skip }, async () => {
  const prober = z!.lab.startProber('deviceA', 8080);
  await waitFor('A\'s prober to connect', () => prober.lastSuccessSince(Date.now() - 1000), 10_000);
  const revokedAt = Date.now();
  await z!.api('POST', '/v1/admin/devices/lifecycle', { action: 'revoke', device_id: a.device_id, reason: 'e2e' });
  const droppedAt = await waitFor('A\'s traffic to stop', () => prober.cutSince(revokedAt), 30_000);
  await waitFor('more probes after the cut', () => prober.attempts().filter((p) => p.at > droppedAt).length >= 10, 10_000);
  prober.stop();
  assert.equal(prober.lastSuccessSince(droppedAt), undefined, 'nothing of A gets through after the cut');
  console.log(`revocation latency (API call to the first refused connection): ${droppedAt - revokedAt} ms`);
  assert.deepEqual(await reach(a), [false, false]);
  assert.deepEqual(await reach(b), [false, true], 'device B unchanged');
  await waitFor('A\'s agent to exit on its revoked credential', () => a.agent.proc.exitCode !== null, CHANGE_MS);
  assert.equal(a.agent.proc.exitCode, 2);
});

test('suspending B\'s user cuts device B', { skip }, async () => {
  await z!.api('POST', '/v1/admin/users/suspend', { user_id: bobUser });
  await expectReach(b, [false, false], 'device B cut with its user');
  // The session is closed by the suspension's follow-up (and the gateway's metering may report it later still).
  let sessions: unknown;
  await waitFor('B\'s session to be closed', async () => {
    sessions = await z!.api('GET', `/v1/admin/sessions?device_id=${b.device_id}`);
    return JSON.stringify(sessions).includes('closed');
  }, CHANGE_MS, 200).catch((err) => {
    throw new Error(`${err.message}: ${JSON.stringify(sessions)}`);
  });
});

/** Where the IdP sends the browser back: the device agent's loopback listener (here the test pastes it instead). */
const REDIRECT = 'http://127.0.0.1:53682/callback';

test('a device enrolls through OIDC (its user signs in at the IdP) and reaches what its user\'s group may', { skip }, async () => {
  idp = await startTestIdp({ carol: { email: 'carol@example.test', email_verified: true, preferred_username: 'carol', name: 'Carol' } }, 'idp-secret-for-e2e');
  await idp.configure([REDIRECT]);
  // The authorize endpoint named outright: the device namespace cannot reach the IdP (on the host's loopback) to
  // discover it; the browser (the test) and Rampart can.
  const provider = await z!.api('POST', '/api/v1/settings/sso/providers', {
    name: 'corp', kind: 'oidc', issuer: idp.issuer, authorization_url: `${idp.issuer}/auth`, client_id: idp.clientId, client_secret: idp.clientSecret,
    scopes: ['openid', 'email', 'profile'], pkce_required: true, enabled: true, default_role: 'viewer',
  });
  await b.stop();
  const stateDir = join(z!.dir, 'device-carol');
  // The operator's terminal: the agent prints the sign-in URL; the browser (the test) signs in; the address it
  // was sent back to is pasted on stdin.
  const enroll = spawn('ip', ['netns', 'exec', z!.lab.ns.deviceB, process.execPath, join(repoRoot, 'bin/rampart.js'), 'agent', 'device', 'enroll', '--server', z!.url,
    '--oidc-provider', provider.id, '--redirect-uri', REDIRECT, '--name', 'carol-laptop', '--state-dir', stateDir], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  // An enroll that already ended makes the paste fail (EPIPE); its exit code and output report that instead.
  enroll.stdin.on('error', () => {});
  enroll.stdout.on('data', (chunk) => (output += chunk));
  enroll.stderr.on('data', (chunk) => (output += chunk));
  // 'close', not 'exit': the output is complete only once the pipes have ended too.
  let exitCode: number | null | undefined;
  enroll.once('close', (code) => (exitCode = code));
  try {
    // A whole line (its newline seen), never a URL cut where one read of the pipe happened to end.
    const url = await waitFor('the sign-in URL', () => /^(http\S+\/auth\?\S+)\r?\n/m.exec(output)?.[1] ?? (enroll.exitCode !== null && 'exited'), 60_000);
    assert.notEqual(url, 'exited', `the enroll command ended before printing a sign-in URL:\n${output}`);
    enroll.stdin.end(`${await idp.login(url, 'carol', REDIRECT)}\n`);
    await waitFor('the enroll command to finish', () => exitCode !== undefined, 60_000).catch((err) => {
      throw new Error(`${err.message}:\n${output}`);
    });
    assert.equal(exitCode, 0, output);
  } finally {
    enroll.kill('SIGKILL');
  }
  const deviceId = JSON.parse(readFileSync(join(stateDir, 'device.json'), 'utf8')).device_id;
  const device = await z!.api('GET', `/v1/admin/devices/${deviceId}`);
  const userId = (device.device ?? device).user_id;
  assert.ok(userId, `the device belongs to the user who signed in: ${JSON.stringify(device)}`);
  const users = await z!.api('GET', '/v1/admin/users');
  assert.equal(users.users.find((u: any) => u.id === userId)?.username, 'carol');
  const groups = await z!.api('GET', '/v1/admin/groups');
  const members = groups.groups.find((g: any) => g.id === eng).member_ids;
  await z!.api('POST', '/v1/admin/groups/lifecycle', { action: 'update', group_id: eng, member_ids: [...members, userId] });
  const carol = z!.runDevice('deviceB', stateDir);
  await expectReach(carol, [true, false], 'carol\'s device (carol in eng) on 8080 only');
});
