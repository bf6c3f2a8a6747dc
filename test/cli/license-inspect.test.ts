/** `rampart license inspect FILE` as an operator runs it: what a licence grants and where it stands, exit 1 when it is not usable. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { licensePayload, licenseSigner } from '../helpers/access-license.js';
import { repoRoot } from '../helpers/process.js';

function inspect(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, ['bin/rampart.js', 'license', 'inspect', ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RAMPART_DATA_DIR: undefined } });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (c) => (stdout += c));
  proc.stderr.on('data', (c) => (stderr += c));
  return new Promise((resolve) => proc.once('close', (code) => resolve({ code, stdout, stderr })));
}

describe('rampart license inspect', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-license-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const signer = licenseSigner();

  test('a valid licence: its grants and state; tampered, wrong key, expired past grace: exit 1 saying why', async () => {
    const file = join(dir, 'license.json');
    signer.write(file, licensePayload(new Date()));
    const ok = await inspect(file, '--public-key', signer.publicKey, '--data-dir', dir);
    assert.equal(ok.code, 0, ok.stderr);
    const out = JSON.parse(ok.stdout);
    assert.deepEqual([out.signature, out.state, out.license.licensee, out.license.limits.devices], ['valid', 'valid', 'Example Corp', 5]);

    const builtIn = await inspect(file, '--data-dir', dir);
    assert.equal(builtIn.code, 1, 'the built-in vendor key did not sign a test licence');
    assert.equal(JSON.parse(builtIn.stdout).signature, 'invalid');

    const doc = JSON.parse(readFileSync(file, 'utf8'));
    doc.license.plan = 'enterprise';
    const tampered = join(dir, 'tampered.json');
    writeFileSync(tampered, JSON.stringify(doc));
    const bad = await inspect(tampered, '--public-key', signer.publicKey, '--data-dir', dir);
    assert.equal(bad.code, 1);
    assert.match(JSON.parse(bad.stdout).error, /signature/);

    const old = join(dir, 'old.json');
    signer.write(old, licensePayload(new Date(Date.now() - 10 * 86_400_000)));
    const expired = await inspect(old, '--public-key', signer.publicKey, '--data-dir', dir);
    assert.equal(expired.code, 1);
    assert.equal(JSON.parse(expired.stdout).state, 'expired');

    const missing = await inspect(join(dir, 'nope.json'), '--data-dir', dir);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /cannot read/);
  });
});
