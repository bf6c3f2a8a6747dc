/** `rampart fleet scan HOST` as an operator runs it against the database a server uses. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn } from '../helpers/identity.js';
import { repoRoot } from '../helpers/process.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('rampart fleet scan', () => {
  let r: TestRampart;
  let hostId: string;

  function cli(...args: string[]): Promise<Run> {
    const proc = spawn(process.execPath, ['bin/rampart.js', 'fleet', 'scan', ...args, '--data-dir', r.tdb.dataDir], {
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

  before(async () => {
    r = await createTestRampart();
    const admin = await signIn(r, { roles: ['admin'] });
    const res = await r.app.inject({ method: 'POST', url: '/api/v1/hosts', headers: admin.headers, payload: { hostname: 'cli.e2e.test', ip_address: '10.213.2.20' } });
    assert.equal(res.statusCode, 201, res.body);
    hostId = res.json().id;
  });
  after(() => r.cleanup());

  test('queues a scan of the host named by hostname and prints it; a second one names the active scan and exits 1', async () => {
    const first = await cli('cli.e2e.test');
    assert.equal(first.code, 0, first.stderr);
    const [, scanId] = /^scan ([0-9a-f-]{36}) of cli\.e2e\.test: queued$/m.exec(first.stdout) ?? [];
    assert.ok(scanId, first.stdout);
    const run = await r.core.db.kysely.selectFrom('fleet_scan_runs').selectAll().where('id', '=', scanId).executeTakeFirstOrThrow();
    assert.equal(run.host_id, hostId);
    assert.equal(run.status, 'queued');
    assert.equal(run.trigger_source, 'on_demand');
    const audit = await r.core.db.kysely.selectFrom('audit_events').select('action').where('resource_id', '=', scanId).execute();
    assert.deepEqual(audit.map((a) => a.action), ['compliance.scan.requested']);

    const second = await cli(hostId);
    assert.equal(second.code, 1);
    assert.match(second.stderr, new RegExp(`queued scan: ${scanId}`));
  });

  test('an unknown host is a one-line error and exit 1', async () => {
    const res = await cli('nowhere.e2e.test');
    assert.equal(res.code, 1);
    assert.match(res.stderr, /rampart: no host nowhere\.e2e\.test/);
  });
});
