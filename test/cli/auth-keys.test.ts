import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn } from '../helpers/identity.js';
import { repoRoot } from '../helpers/process.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('rampart auth key rotate|list|retire', () => {
  let r: TestRampart;
  before(async () => {
    r = await createTestRampart();
  });
  after(() => r.cleanup());

  function run(...args: string[]): Promise<Run> {
    const proc = spawn(process.execPath, ['bin/rampart.js', 'auth', 'key', ...args, '--data-dir', r.tdb.dataDir], {
      cwd: repoRoot,
      env: { ...process.env, RAMPART_DATABASE_URL: r.tdb.url, RAMPART_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (c) => (stdout += c));
    proc.stderr.on('data', (c) => (stderr += c));
    return new Promise((resolve) => proc.once('close', (code) => resolve({ code, stdout, stderr })));
  }

  /** A /me call on a node that starts now, so nothing it cached earlier decides. */
  async function meOnFreshNode(token: string): Promise<number> {
    const node = await createTestRampart({ tdb: r.tdb });
    try {
      return (await node.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${token}` } })).statusCode;
    } finally {
      await node.cleanup();
    }
  }

  test('list, rotate and retire print JSON; a retired key stops verifying, a rotated-out one does not', async () => {
    const first = await signIn(r);
    const firstKid = decodeProtectedHeader(first.token).kid;

    const listed = await run('list');
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(JSON.parse(listed.stdout).map((k: { kid: string; status: string; algorithm: string }) => [k.kid, k.status, k.algorithm]), [[firstKid, 'active', 'EdDSA']]);
    assert.doesNotMatch(listed.stdout, /private|PRIVATE|"d"/, 'no private key material');

    const rotated = await run('rotate');
    assert.equal(rotated.code, 0, rotated.stderr);
    const next = JSON.parse(rotated.stdout);
    assert.equal(next.status, 'active');
    assert.notEqual(next.kid, firstKid);
    assert.equal(await meOnFreshNode(first.token), 200, 'the rotated-out key still verifies');

    const retired = await run('retire', firstKid!);
    assert.equal(retired.code, 0, retired.stderr);
    assert.equal(JSON.parse(retired.stdout).status, 'retired');
    assert.equal(await meOnFreshNode(first.token), 401, "the retired key's tokens are refused");
    const statuses = JSON.parse((await run('list')).stdout).map((k: { kid: string; status: string }) => `${k.kid}:${k.status}`);
    assert.deepEqual(statuses, [`${firstKid}:retired`, `${next.kid}:active`]);
  });

  test('retiring the active key or an unknown one fails with a message and exit code 1', async () => {
    const active = JSON.parse((await run('list')).stdout).find((k: { status: string }) => k.status === 'active');
    const refused = await run('retire', active.kid);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /active key; rotate first/);
    const unknown = await run('retire', 'k404');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /not found/);
  });
});
