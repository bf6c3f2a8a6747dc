/** `rampart fleet rules lint DIR` as an operator runs it: problems as file:rule:field lines and exit 1, or a summary. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { ruleDocument } from '../helpers/fleet-rules.js';
import { repoRoot } from '../helpers/process.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function lint(dir: string): Promise<Run> {
  const proc = spawn(process.execPath, ['bin/rampart.js', 'fleet', 'rules', 'lint', dir], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (c) => (stdout += c));
  proc.stderr.on('data', (c) => (stderr += c));
  return new Promise((resolve) => proc.once('close', (code) => resolve({ code, stdout, stderr })));
}

describe('rampart fleet rules lint', () => {
  const root = mkdtempSync(join(tmpdir(), 'rampart-lint-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  function ruleDir(name: string, files: Record<string, unknown>): string {
    const dir = join(root, name);
    for (const [file, doc] of Object.entries(files)) {
      mkdirSync(join(dir, file, '..'), { recursive: true });
      writeFileSync(join(dir, file), stringify(doc));
    }
    return dir;
  }

  const check = { method: 'sysctl_value', key: 'net.ipv4.ip_forward', expected: '0' };

  test('a valid directory exits 0 with a summary of rules and frameworks', async () => {
    const dir = ruleDir('good', { 'net/forwarding.yml': ruleDocument({ id: 'no-forwarding', check }), 'variables.yml': { unused: 1 } });
    const run = await lint(dir);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^1 rules valid in /);
    assert.match(run.stdout, /frameworks: cis_debian12 \(1\), nist_800_53 \(1\), stig_rhel9 \(1\)/);
  });

  test('every problem is printed as file:rule:field and the exit code is 1', async () => {
    const dir = ruleDir('bad', {
      'a.yml': ruleDocument({ id: 'bad-severity', severity: 'urgent', check }),
      'b.yml': ruleDocument({ id: 'no-default', implementations: [{ when: 'dpkg', check }] }),
      'c.yml': ruleDocument({ id: 'bad-method', check: { method: 'registry_value', key: 'x' } }),
      'd.yml': ruleDocument({ id: 'no-forwarding', check }),
      'e.yml': ruleDocument({ id: 'no-forwarding', check }),
    });
    const run = await lint(dir);
    assert.equal(run.code, 1);
    const lines = run.stderr.trim().split('\n');
    assert.match(lines[0], /^a\.yml:bad-severity:severity: /);
    assert.equal(lines[1], 'b.yml:no-default:implementations: exactly one implementation must have default: true (found 0)');
    assert.match(lines[2], /^c\.yml:bad-method:implementations\[0\]\.check\.method: unknown method "registry_value"/);
    assert.equal(lines[3], 'e.yml:no-forwarding:id: duplicate rule id: already defined in d.yml');
    assert.match(lines[4], /^4 problems in .*; 1 valid rules$/);
  });

  test("Rampart's own rule set lints clean; a missing directory is an error", async () => {
    const own = await lint(join(repoRoot, 'rules', 'fleet'));
    assert.equal(own.code, 0, own.stderr);
    assert.match(own.stdout, /^\d+ rules valid/);
    const missing = await lint(join(root, 'nowhere'));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /is not a directory/);
  });
});
