import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { once } from 'node:events';
import { get as httpGet } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openDatabase } from '../../src/core/db/database.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { fetchRaw, repoRoot, spawnRampart, type SpawnedRampart } from '../helpers/process.js';

const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, ['bin/rampart.js', ...args], { cwd: repoRoot, env: { ...process.env, ...env }, encoding: 'utf8' });

describe('rampart serve', () => {
  let tdb: TestDatabase;
  let server: SpawnedRampart;
  let cert: string;
  before(async () => {
    tdb = await createTestDatabase();
    server = await spawnRampart(['serve', '--data-dir', tdb.dataDir, '--listen', '127.0.0.1:0', '--metrics-listen', '127.0.0.1:0'], {
      RAMPART_DATABASE_URL: tdb.url,
    });
    cert = readFileSync(join(tdb.dataDir, 'tls', 'cert.pem'), 'utf8');
  });
  after(async () => {
    await server?.stop();
    await tdb?.cleanup();
  });

  test('serves HTTPS with a generated ECDSA P-256 certificate whose fingerprint it prints', async () => {
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const x509 = new X509Certificate(cert);
    assert.equal(x509.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    for (const san of ['DNS:localhost', 'IP Address:127.0.0.1', 'IP Address:0:0:0:0:0:0:0:1']) assert.ok(x509.subjectAltName?.includes(san), san);
    const printed = server.logs.find((l) => l.sha256_fingerprint)?.sha256_fingerprint;
    const actual = createHash('sha256').update(x509.raw).digest('hex').toUpperCase().match(/../g)!.join(':');
    assert.equal(printed, actual);
    assert.equal(statSync(join(tdb.dataDir, 'tls', 'key.pem')).mode & 0o777, 0o600);
    assert.equal(statSync(tdb.dataDir).mode & 0o777, 0o700);
    // A client that trusts exactly this certificate can connect: it is what the server presents.
    const res = await fetchRaw(`${server.url}/healthz`, { ca: cert });
    assert.equal(res.status, 200);
  });

  test('every health endpoint answers in its spec shape', async () => {
    const expect: [string, (b: any) => void][] = [
      ['/health', (b) => assert.deepEqual(b, { status: 'ok' })],
      ['/ready', (b) => assert.equal(b.status, 'ready')],
      ['/healthz', (b) => assert.deepEqual(b, { status: 'ok' })],
      ['/readyz', (b) => assert.deepEqual(b, { status: 'ready' })],
      ['/api', (b) => assert.deepEqual(Object.keys(b).sort(), ['name', 'status', 'version'])],
      ['/api/health', (b) => assert.deepEqual(b, { status: 'healthy' })],
      ['/api/v1/health', (b) => assert.deepEqual({ ...b, version: 'v' }, { status: 'healthy', db_connected: true, version: 'v' })],
      ['/api/v1/version', (b) => assert.deepEqual(Object.keys(b).sort(), ['build_time', 'commit', 'go', 'kensa', 'node', 'openwatch', 'rampart'])],
    ];
    for (const [path, check] of expect) {
      const res = await fetchRaw(`${server.url}${path}`, { ca: cert });
      assert.equal(res.status, 200, path);
      check(res.json());
    }
  });

  test('HEAD on a GET route answers its status and headers without a body', async () => {
    for (const path of ['/api/v1/health', '/api/v1/version', '/healthz']) {
      const get = await fetchRaw(`${server.url}${path}`, { ca: cert });
      const head = await fetchRaw(`${server.url}${path}`, { ca: cert, method: 'HEAD' });
      assert.equal(head.status, 200, path);
      assert.equal(head.body, '', path);
      assert.equal(head.headers['content-type'], get.headers['content-type'], path);
      assert.equal(head.headers['content-length'], String(Buffer.byteLength(get.body)), path);
      assert.equal(head.headers['x-content-type-options'], 'nosniff', path);
    }
    const denied = await fetchRaw(`${server.url}/api/v1/users`, { ca: cert, method: 'HEAD' });
    assert.equal(denied.status, 401, 'a guarded GET route guards its HEAD too');
  });

  test('the metrics listener shows request counts and latency by route pattern', async () => {
    for (let i = 0; i < 3; i++) await fetchRaw(`${server.url}/api/v1/health`, { ca: cert });
    await fetchRaw(`${server.url}/api/v1/does-not-exist`, { ca: cert });
    const res = await fetchRaw(server.metricsUrl);
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'] as string, /text\/plain/);
    const count = res.body.match(/rampart_http_requests_total\{method="GET",route="\/api\/v1\/health",status="200"\} (\d+)/);
    assert.ok(count && Number(count[1]) >= 3, 'health requests are counted');
    assert.match(res.body, /rampart_http_requests_total\{method="GET",route="unmatched",status="404"\} 1/);
    assert.match(res.body, /rampart_http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/api\/v1\/health",status="200"\}/);
    assert.match(res.body, /rampart_process_cpu_user_seconds_total/);
    const api = await fetchRaw(`${server.url}/metrics`, { ca: cert });
    assert.equal(api.status, 404, 'metrics are not on the API listener');
  });

  test('serve runs the job worker beside the API by default', () => {
    assert.ok(server.logs.some((l) => l.msg === 'job worker started'));
  });

  test('a second start reuses the certificate', async () => {
    await server.stop();
    server = await spawnRampart(['serve', '--data-dir', tdb.dataDir, '--listen', '127.0.0.1:0', '--metrics-listen', '127.0.0.1:0'], {
      RAMPART_DATABASE_URL: tdb.url,
    });
    assert.equal(readFileSync(join(tdb.dataDir, 'tls', 'cert.pem'), 'utf8'), cert);
    assert.ok(!server.logs.some((l) => /generated a self-signed/.test(l.msg)));
  });
});

describe('rampart CLI', () => {
  test('--insecure-http serves plain HTTP with a warning; --no-worker runs no worker', async () => {
    const tdb = await createTestDatabase();
    const server = await spawnRampart(['serve', '--insecure-http', '--no-worker', '--data-dir', tdb.dataDir, '--listen', '127.0.0.1:0', '--metrics-listen', '127.0.0.1:0'], {
      RAMPART_DATABASE_URL: tdb.url,
    });
    try {
      assert.match(server.url, /^http:\/\//);
      assert.ok(server.logs.some((l) => l.level === 40 && /plain HTTP/.test(l.msg)));
      assert.equal((await fetchRaw(`${server.url}/health`)).json().status, 'ok');
      assert.ok(!server.logs.some((l) => l.msg === 'job worker started'), '--no-worker leaves jobs to `rampart worker`');
    } finally {
      assert.equal(await server.stop(), 0);
      await tdb.cleanup();
    }
  });

  test('server.listen unix:/path serves on a unix socket, replacing a stale socket file', async () => {
    const tdb = await createTestDatabase();
    const socket = join(tdb.dataDir, 'rampart.sock');
    writeFileSync(socket, 'left by a crashed run');
    const server = await spawnRampart(['serve', '--insecure-http', '--no-worker', '--data-dir', tdb.dataDir, '--listen', `unix:${socket}`, '--metrics-listen', '127.0.0.1:0'], {
      RAMPART_DATABASE_URL: tdb.url,
    });
    try {
      assert.equal(server.url, `http+unix:${socket}`);
      const body = await new Promise<string>((resolve, reject) => {
        httpGet({ socketPath: socket, path: '/api/health' }, (res) => {
          let text = '';
          res.on('data', (chunk) => (text += chunk)).on('end', () => resolve(text));
        }).on('error', reject);
      });
      assert.deepEqual(JSON.parse(body), { status: 'healthy' });
    } finally {
      assert.equal(await server.stop(), 0);
      await tdb.cleanup();
    }
  });

  test('check-config prints the effective configuration with secrets redacted', () => {
    const out = cli(['check-config', '--data-dir', '/tmp/rampart-cc'], {
      RAMPART_DATABASE_URL: 'postgres://rampart:hunter2@db.internal/rampart',
      RAMPART_SECRETS_KEY: 'c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI=',
      RAMPART_SERVER_LISTEN: '127.0.0.1:9443',
    });
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /listen = "127\.0\.0\.1:9443"/);
    assert.match(out.stdout, /url = "postgres:\/\/rampart:REDACTED@db\.internal\/rampart"/);
    assert.doesNotMatch(out.stdout, /hunter2|c2VjcmV0/);
  });

  test('check-config exits 1 naming the offending key', () => {
    const bad = cli(['check-config'], { RAMPART_JOBS_CONCURRENCY: 'lots' });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /jobs\.concurrency/);
    const dir = join(repoRoot, '.tmp');
    spawnSync('mkdir', ['-p', dir]);
    const file = join(dir, `bad-${process.pid}.toml`);
    writeFileSync(file, '[server]\nlisten = "0.0.0.0:8443"\nlisen = "typo"\n');
    const typo = cli(['check-config', '--config', file]);
    assert.equal(typo.status, 1);
    assert.match(typo.stderr, /server\.lisen: unknown key/);
  });

  test('migrate applies migrations, and refuses a database migrated by a newer version', async () => {
    const tdb = await createTestDatabase();
    try {
      const env = { RAMPART_DATABASE_URL: tdb.url };
      const first = cli(['migrate', '--data-dir', tdb.dataDir], env);
      assert.equal(first.status, 0, first.stderr);
      assert.match(first.stdout, /applied \d+ migrations/);
      assert.match(cli(['migrate', '--data-dir', tdb.dataDir], env).stdout, /up to date/);

      const db = openDatabase({ url: tdb.url, dataDir: tdb.dataDir });
      await db.kysely
        .insertInto('rampart_migrations')
        .values({ module: 'audit', name: '0099_future', applied_at: new Date().toISOString(), rampart_version: '99.0.0' })
        .execute();
      await db.close();
      const refused = cli(['migrate', '--data-dir', tdb.dataDir], env);
      assert.equal(refused.status, 1);
      assert.match(refused.stderr, /newer Rampart .*99\.0\.0/);
      const serve = cli(['serve', '--data-dir', tdb.dataDir, '--listen', '127.0.0.1:0', '--metrics-listen', '127.0.0.1:0'], env);
      assert.equal(serve.status, 1, 'serve refuses to start');
      assert.match(serve.stdout + serve.stderr, /newer Rampart/);
    } finally {
      await tdb.cleanup();
    }
  });

  test('serve explains a listener it cannot bind and TLS files it cannot use, naming the key', async () => {
    const tdb = await createTestDatabase();
    const busy = createServer().listen(0, '127.0.0.1');
    await once(busy, 'listening');
    try {
      const port = (busy.address() as AddressInfo).port;
      const env = { RAMPART_DATABASE_URL: tdb.url, RAMPART_SERVER_METRICS_LISTEN: '127.0.0.1:0' };
      const inUse = cli(['serve', '--data-dir', tdb.dataDir, '--listen', `127.0.0.1:${port}`], env);
      assert.equal(inUse.status, 1);
      assert.match(inUse.stderr, new RegExp(`server\\.listen: cannot listen on 127\\.0\\.0\\.1:${port}: the address is already in use`));
      const noCert = cli(['serve', '--data-dir', tdb.dataDir, '--listen', '127.0.0.1:0'], {
        ...env,
        RAMPART_TLS_CERT_FILE: join(tdb.dataDir, 'missing.pem'),
        RAMPART_TLS_KEY_FILE: join(tdb.dataDir, 'missing.key'),
      });
      assert.equal(noCert.status, 1);
      assert.match(noCert.stderr, /tls\.cert_file: cannot read .*missing\.pem/);
      const halfSet = cli(['serve', '--data-dir', tdb.dataDir, '--listen', '127.0.0.1:0'], { ...env, RAMPART_TLS_KEY_FILE: '/etc/hostname' });
      assert.equal(halfSet.status, 1);
      assert.match(halfSet.stderr, /tls\.cert_file: must be set together with tls\.key_file/);
    } finally {
      busy.close();
      await tdb.cleanup();
    }
  });

  test('secrets rotate replaces the key in the key file, which stays owner-only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-rotate-'));
    try {
      const first = cli(['secrets', 'rotate', '--data-dir', dir]);
      assert.equal(first.status, 0, first.stderr);
      const keyFile = join(dir, 'secret.key');
      const before = readFileSync(keyFile, 'utf8');
      const second = cli(['secrets', 'rotate', '--data-dir', dir]);
      assert.equal(second.status, 0, second.stderr);
      const summary = JSON.parse(second.stdout);
      assert.equal(summary.retired_key_ids.length, 1);
      assert.equal(summary.retired_key_ids[0], JSON.parse(first.stdout).new_key_id);
      const after = readFileSync(keyFile, 'utf8');
      assert.notEqual(after, before);
      assert.equal(after.trim().split('\n').length, 1, 'the old key is retired from the file');
      assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('version prints build metadata', () => {
    const out = cli(['version']);
    assert.equal(out.status, 0);
    const info = JSON.parse(out.stdout);
    assert.equal(info.node, process.versions.node);
    assert.match(info.rampart, /^\d+\.\d+\.\d+/);
  });
});
