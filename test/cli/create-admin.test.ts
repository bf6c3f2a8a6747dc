import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { loadConfig } from '../../src/core/config/load.js';
import type { Core } from '../../src/core/index.js';
import { builtinModules } from '../../src/modules/index.js';
import { createCoreFor } from '../../src/server.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { repoRoot } from '../helpers/process.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('rampart create-admin', () => {
  let tdb: TestDatabase;
  let core: Core;
  before(async () => {
    tdb = await createTestDatabase();
  });
  after(async () => {
    await core?.close();
    await tdb.cleanup();
  });

  function run(args: string[], stdin?: string): Promise<Run> {
    const proc = spawn(process.execPath, ['bin/rampart.js', 'create-admin', '--data-dir', tdb.dataDir, ...args], {
      cwd: repoRoot,
      env: { ...process.env, RAMPART_DATABASE_URL: tdb.url, RAMPART_LOG_LEVEL: 'warn' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (c) => (stdout += c));
    proc.stderr.on('data', (c) => (stderr += c));
    proc.stdin.end(stdin ?? '');
    return new Promise((resolve) => proc.once('close', (code) => resolve({ code, stdout, stderr })));
  }

  /** The database as the CLI left it, opened the way a server would. */
  function openCore(): Core {
    const config = loadConfig({ env: {}, cwd: tdb.dataDir, overrides: { data_dir: tdb.dataDir, 'database.url': tdb.url } });
    core ??= createCoreFor(config, builtinModules(), { logger: pino({ level: 'silent' }) });
    return core;
  }

  test('reads the password from stdin, without its trailing newline, and makes the user an administrator', async () => {
    const res = await run(['--username', 'Root', '--email', 'root@example.com', '--password-stdin'], 'from stdin, long enough\n');
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /created administrator root/);
    assert.doesNotMatch(res.stdout, /from stdin/, 'a password the operator typed is not echoed');

    const identity = openCore().identity;
    const row = await identity.users.findRowByUsername('root');
    assert.ok(row);
    assert.equal(row.email, 'root@example.com');
    assert.equal(await identity.passwords.verify(row.password_hash!, 'from stdin, long enough'), true);
    assert.deepEqual((await identity.users.get(row.id)).roles, ['admin']);
  });

  test('without --password-stdin, generates a password and prints it once', async () => {
    const res = await run(['--username', 'second', '--email', 'second@example.com']);
    assert.equal(res.code, 0, res.stderr);
    const password = /password: (\S+)/.exec(res.stdout)?.[1];
    assert.ok(password && password.length >= 24, res.stdout);
    const identity = openCore().identity;
    const row = await identity.users.findRowByUsername('second');
    assert.equal(await identity.passwords.verify(row!.password_hash!, password), true);
  });

  test('exits 1 with a clear message on a taken username or a weak password', async () => {
    const duplicate = await run(['--username', 'root', '--email', 'other@example.com', '--password-stdin'], 'another long password\n');
    assert.equal(duplicate.code, 1);
    assert.match(duplicate.stderr, /root.*already taken/);

    const weak = await run(['--username', 'weak', '--email', 'weak@example.com', '--password-stdin'], 'short\n');
    assert.equal(weak.code, 1);
    assert.match(weak.stderr, /at least 12 characters/);
    assert.equal(await openCore().identity.users.findRowByUsername('weak'), undefined);
  });
});
