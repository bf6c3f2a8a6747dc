/**
 * `rampart agent gateway` and `rampart agent device` as an operator meets them on the command line: flags checked
 * before anything runs, one clear line and exit 1 for what the operator must fix, exit 2 never without a reason.
 * What they do once running is test/e2e/access-ztna.test.ts (and test/api/access-agent-admission.test.ts).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { repoRoot } from '../helpers/process.js';

const scratch = mkdtempSync(join(tmpdir(), 'rampart-agent-access-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function rampart(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RAMPART_')));
  const proc = spawn(process.execPath, ['bin/rampart.js', 'agent', ...args], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (c) => (stdout += c));
  proc.stderr.on('data', (c) => (stderr += c));
  return new Promise((resolve) => proc.once('exit', (code) => resolve({ code, stdout, stderr })));
}

const oneLine = (stderr: string) => stderr.trim().split('\n').filter((l) => !l.startsWith('rampart: dist/') && !l.includes('running the sources through tsx'));

test('bad flags are refused with the flag named, before anything is written or started', async () => {
  const cases: [string[], RegExp][] = [
    [['device', 'enroll', '--server', 'http://127.0.0.1:9'], /give either --token or --oidc-provider/],
    [['device', 'enroll', '--server', 'http://127.0.0.1:9', '--token', 't', '--oidc-provider', 'p'], /give either --token or --oidc-provider/],
    [['device', 'enroll', '--server', 'ftp://x', '--token', 't', '--state-dir', join(scratch, 'never')], /--server must be an http\(s\) URL/],
    [['gateway', 'enroll', '--server', 'http://127.0.0.1:9', '--token', 't', '--endpoint', 'no-port'], /--endpoint must be host:port/],
    [['gateway', 'run', '--listen-port', '70000'], /--listen-port must be a port/],
    [['gateway', 'run', '--interface', 'a-name-far-too-long'], /--interface must be 1-15/],
    [['device', 'run', '--posture-interval', '0'], /--posture-interval must be a positive number of seconds/],
  ];
  for (const [args, message] of cases) {
    const res = await rampart(args);
    assert.equal(res.code, 1, `${args.join(' ')}: ${res.stderr}`);
    const lines = oneLine(res.stderr);
    assert.equal(lines.length, 1, `one line, no stack: ${res.stderr}`);
    assert.match(lines[0], message);
  }
  assert.equal(existsSync(join(scratch, 'never')), false);
});

test('running before enrolling says how to enrol', async () => {
  for (const kind of ['device', 'gateway']) {
    const dir = join(scratch, `${kind}-empty`);
    const res = await rampart([kind, 'run', '--state-dir', dir]);
    assert.equal(res.code, 1, res.stderr);
    assert.match(oneLine(res.stderr)[0], new RegExp(`not enrolled: .*${kind}\\.json does not exist; run \`rampart agent ${kind} enroll\` first`));
  }
});

test('an unreachable server is one line; the key made for the enrollment stays private to the state dir', async () => {
  const dir = join(scratch, 'device-offline');
  const res = await rampart(['device', 'enroll', '--server', 'http://127.0.0.1:9', '--token', 'ret_x', '--state-dir', dir]);
  assert.equal(res.code, 1);
  assert.match(oneLine(res.stderr)[0], /cannot reach http:\/\/127\.0\.0\.1:9/);
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  assert.equal(statSync(join(dir, 'wireguard.key')).mode & 0o777, 0o600);
  assert.equal(existsSync(join(dir, 'device.json')), false, 'no state claims an enrollment that did not happen');
});
